"""The scenario catalogue: every use case the console offers, searchable by api, id, requirement and words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from conformance.core.media import MediaError, card_media
from conformance.loader.scenarios import load_scenarios
from conformance.model.scenario import Scenario
from conformance.report.cards import Medium, ackroo_media, crmcom_media

_UC = re.compile(r"uc\d\d")


@cache
def catalogue(apis: tuple[str, ...]) -> dict[str, Scenario]:
    """Every scenario of the apis served, by id (loaded once: the data files do not change under a server)."""
    found: dict[str, Scenario] = {}
    for api in apis:
        found.update(load_scenarios(api))
    return found


def search(scenarios: Iterable[Scenario], q: str = "", api: str = "") -> list[Scenario]:
    """The scenarios of `api` (or all) whose id, title, requirements or words hold every term of `q`."""
    terms = q.lower().split()
    chosen = []
    for scenario in scenarios:
        if api and scenario.api != api:
            continue
        text = " ".join((scenario.id, scenario.title, " ".join(scenario.requirements), scenario.description,
                         " ".join(step.pos.cashier for step in scenario.steps if step.pos))).lower()
        if all(term in text for term in terms):
            chosen.append(scenario)
    return chosen


def media_for(scenario: Scenario) -> list[Medium]:
    """The test media a cashier presents in this scenario: the card images `conformance cards` draws."""
    if scenario.api == "ackroo":
        try:
            media = ackroo_media(card_media(card_number(scenario)))
        except MediaError:  # a negative scenario's malformed card: nothing to print
            return []
        cases = set(_UC.findall(scenario.id))
        named = [m for m in media if cases & set(_UC.findall(m.file))]
        if named:
            return named
        return media[:1] if scenario.given.get("cards") else []
    if scenario.api == "crmcom":
        return [m for m in crmcom_media() if m.file.split("-")[1] in scenario.id]
    return []


def card_number(scenario: Scenario) -> str:
    """The first card of `given` (the default test card when there is none)."""
    cards = scenario.given.get("cards") or ()
    number = cards[0].get("cardnumber") if cards else None
    return str(number) if number else card_media().number
