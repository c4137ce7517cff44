"""Cassette replay: the `send` seam answered from recordings, with no server and no socket.

A `CassettePlayer` holds the cassette of the scenario being run (its `setup` loads it when the runner
applies the scenario's `given`); the transports it hands out, one per base URL (an api and /_control),
answer each request with the next recorded interaction. A request is matched as it was recorded: method,
uri and body after the one redaction (the runner's, handed in), so a replay never needs the secrets the
recording masked. A request that does not match is a TargetError naming the cassette's file and line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from conformance.core.errors import DataError, TargetError
from conformance.core.exchange import HttpRequest, HttpResponse
from conformance.loader.cassettes import BASE_URL, Cassette, cassette_path, load_cassette
from conformance.model.scenario import Scenario, freeze, thaw

FROZEN_AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
"""The clock of every recording (unless a scenario sets its own), so recordings repeat byte for byte."""


def as_recorded(scenario: Scenario) -> Scenario:
    """The scenario as it is recorded and replayed: frozen clock, sequential numbers (never the wall clock)."""
    clock = {key: value for key, value in thaw(scenario.clock or {}).items() if key != "real"}
    clock.setdefault("set", FROZEN_AT.isoformat().replace("+00:00", "Z"))
    clock["deterministic"] = True
    return replace(scenario, given=freeze({**thaw(scenario.given), "clock": clock}))


class CassettePlayer:
    """The interactions of one scenario's cassette, played in order by the transports it hands out."""

    def __init__(self, root: Path, redact: Callable[[HttpRequest], HttpRequest]) -> None:
        self.root = root
        self.redact = redact
        self.cassette: Cassette | None = None
        self.played = 0

    def load(self, scenario: Scenario) -> None:
        path = cassette_path(self.root, scenario.api, scenario.id)
        self.cassette, self.played = None, 0
        if not path.is_file():
            raise TargetError(f"no cassette {path} (record it with `conformance cassettes record`)")
        try:
            self.cassette = load_cassette(path)
        except DataError as exc:
            raise TargetError(str(exc)) from None
        self.played = 0

    def apply(self, scenario: Scenario) -> None:
        """The runner's setup hook: nothing to set up on a recording, only its cassette to load."""
        self.load(scenario)

    def transport(self, base_url: str) -> CassetteTransport:
        return CassetteTransport(self, base_url)

    @property
    def unplayed(self) -> int:
        return len(self.cassette.interactions) - self.played if self.cassette else 0

    def answer(self, method: str, uri: str, body: str) -> HttpResponse:
        cassette = self.cassette
        if cassette is None:
            raise TargetError(f"{method} {uri}: no cassette loaded")
        if self.played >= len(cassette.interactions):
            raise TargetError(f"{cassette.path}: {method} {uri} was not recorded (the cassette has "
                              f"{len(cassette.interactions)} interaction(s), all played)")
        recorded = cassette.interactions[self.played]
        for what, sent, kept in (("method", method, recorded.method), ("uri", uri, recorded.uri),
                                 ("body", body, recorded.request_body)):
            if sent != kept:
                raise TargetError(f"{cassette.path}:{recorded.line}: the request differs from the recording in its "
                                  f"{what}: sent {sent[:200]!r}, recorded {kept[:200]!r}")
        self.played += 1
        return HttpResponse(recorded.status, dict(recorded.response_headers), recorded.response_body.encode())


class CassetteTransport:
    """One base URL's view of the player (e.g. `http://simulator/ackroo`); never opens a socket."""

    def __init__(self, player: CassettePlayer, base_url: str) -> None:
        self.player = player
        self.base_url = base_url.rstrip("/")

    def send(self, request: HttpRequest) -> HttpResponse:
        redacted = self.player.redact(request)
        return self.player.answer(redacted.method, self.base_url + redacted.path, redacted.body.decode("utf-8"))

    def close(self) -> None:
        """Nothing to release."""


def base_url_for(api: str) -> str:
    """Where an api lives in the recordings (`/_control` for the control interface)."""
    return f"{BASE_URL}/{api}"

