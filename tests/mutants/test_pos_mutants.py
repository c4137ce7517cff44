"""Mutation tests of POS certification: drivers with realistic bugs, built on the reference POS, are each
not certified, by the check ids named here (in-process, a few scenarios each, or the resilience plan)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from conformance.cli.certify_pos import run_plans
from conformance.core import jsonio
from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.result import Outcome
from conformance.pos.till import Till
from conformance.report.build import verdict_of
from conformance.runner.pos.drivers import FunctionDriver
from conformance.runner.pos.session import certify_pos
from tests.pos.conftest import Rig

Rewrite = Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any] | None]
"""A buggy POS's way of writing a request body: (body, the action it performs) -> body (None: not sent)."""


def _body(request: HttpRequest) -> Any:
    return jsonio.loads(request.body) if request.body and request.headers.get("content-type", "").endswith(
        "json") else None


class BuggyTill(Till):
    """The reference POS with one bug: its requests rewritten, sent twice, or its result misreported."""

    def __init__(self, send_for: Callable[[str], Callable[[HttpRequest], HttpResponse]], *,
                 rewrite: Rewrite | None = None, twice: str | None = None, skip: str | None = None,
                 report: Callable[[dict[str, Any]], dict[str, Any]] | None = None, new_reference: bool = False,
                 resend_refused: bool = False, forget_queue: bool = False) -> None:
        self.action: Mapping[str, Any] = {}
        self.rewrite, self.twice, self.skip, self.report = rewrite, twice, skip, report
        self.new_reference, self.resend_refused, self.forget_queue = new_reference, resend_refused, forget_queue
        self.attempts = 0

        def buggy(base_url: str) -> Callable[[HttpRequest], HttpResponse]:
            send = send_for(base_url)

            def sending(request: HttpRequest) -> HttpResponse:
                body = _body(request)
                if self.rewrite is not None and isinstance(body, dict):
                    request = replace(request, body=jsonio.dumps(self.rewrite(body, self.action)).encode())
                elif self.rewrite is not None and "?" in request.path:  # a GET: the same bug in its query
                    path, _, query = request.path.partition("?")
                    rewritten = self.rewrite(dict(parse_qsl(query)), self.action) or {}
                    request = replace(request, path=f"{path}?{urlencode(rewritten)}")
                if self.new_reference and isinstance(body, dict) and "reference_number" in body:
                    self.attempts += 1  # every attempt a reference of its own: a resend looks like a new sale
                    body["reference_number"] = f"{body['reference_number']}-{self.attempts}"
                    request = replace(request, body=jsonio.dumps(body).encode())
                response = send(request)
                if self.twice and request.path.startswith(self.twice):
                    response = send(request)
                for _ in range(2 if self.resend_refused else 0):
                    if 400 <= response.status < 500:
                        response = send(request)
                return response

            return sending

        super().__init__(buggy)

    def perform(self, action: Mapping[str, Any]) -> dict[str, Any]:
        self.action = action
        if self.skip and action.get("action") == self.skip:
            return {"ok": True}
        result = super().perform(action)
        if self.forget_queue:
            self.state.pop("queue", None)  # what it could not deliver is lost
        return self.report(result) if self.report else result


def swap_tender_slots(body: dict[str, Any], action: Mapping[str, Any]) -> dict[str, Any]:
    if "tender_type_list" in body:
        slots = body["tender_type_list"]
        body["tender_type_list"] = [slots[1], slots[0], *slots[2:]]
    return body


def quantities_as_numbers(body: dict[str, Any], action: Mapping[str, Any]) -> dict[str, Any]:
    if "quantity_list" in body:
        body["quantity_list"] = [jsonio.loads(q) for q in body["quantity_list"]]
    return body


def without_device_id(body: dict[str, Any], action: Mapping[str, Any]) -> dict[str, Any]:
    body.pop("device_id", None)
    return body


def raw_track_as_card(body: dict[str, Any], action: Mapping[str, Any]) -> dict[str, Any]:
    medium = action.get("medium") or (action.get("customer") or {}).get("medium") or {}
    if "cardnumber" in body and medium.get("type") == "magstripe":
        body["cardnumber"] = medium["data"]
    return body


def amount_due_not_reduced(result: dict[str, Any]) -> dict[str, Any]:
    """The till collects the whole basket although part of it was paid with the wallet."""
    if "amount_due" in result and "spent" in result:
        result["amount_due"] = str(Decimal(result["amount_due"]) + Decimal(result["spent"]))
    return result


# mutant -> (api, scenarios, how the POS is buggy, check ids that must fail); no scenarios: the resilience plan
MUTANTS: dict[str, tuple[str, tuple[str, ...], dict[str, Any], set[str]]] = {
    "retry-with-new-reference": ("crmcom", (), {"new_reference": True}, {"pos.reference", "pos.once"}),
    "refusal-resent": ("antavo", (), {"resend_refused": True}, {"pos.retry-4xx"}),
    "outage-sale-dropped": ("ackroo", (), {"forget_queue": True}, {"pos.queued"}),
    "tender-slots-swapped": ("ackroo", ("uc07-split-tender",), {"rewrite": swap_tender_slots},
                             {"pos.request-field"}),
    "quantities-as-numbers": ("ackroo", ("uc01-cash-credit",), {"rewrite": quantities_as_numbers},
                              {"pos.request-valid", "pos.refused"}),
    "device-id-missing": ("ackroo", ("uc10-gift-load",), {"rewrite": without_device_id},
                          {"pos.request-valid", "pos.request-field", "pos.refused"}),
    "raw-track-as-card-number": ("ackroo", ("uc14-magstripe-balance",), {"rewrite": raw_track_as_card},
                                 {"pos.card"}),
    "spend-not-deducted": ("crmcom-webapi", ("five-step-flow",), {"report": amount_due_not_reduced},
                           {"pos.figure"}),
    "refund-never-sent": ("ackroo", ("uc08-refund",), {"skip": "refund"}, {"pos.sent"}),
    "sale-sent-twice": ("ackroo", ("uc01-cash-credit",), {"twice": "/transaction/loyalty/credit/multi"},
                        {"pos.once"}),
}


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_every_pos_mutant_is_not_certified(rig: Rig, mutant: str) -> None:
    api, slugs, bug, expected = MUTANTS[mutant]
    target, send_for = rig.target(api)
    driver = FunctionDriver(BuggyTill(send_for, **bug).perform, f"mutant {mutant}")
    if slugs:
        scenarios = [load_scenarios(api)[f"{api}.{slug}"] for slug in slugs]
        results = certify_pos(scenarios, spec_for(api), target, driver)
        assert all(r.outcome is Outcome.FAIL for r in results), [(r.id, r.outcome) for r in results]
    else:
        results = run_plans(api, [], ["resilience"], target, driver)
        assert verdict_of(results) == "not-certified", [(r.id, r.outcome) for r in results]
    caught = {f.check for r in results for f in r.findings}
    assert expected <= caught, caught
