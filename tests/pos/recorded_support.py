"""Helpers for the recorded-traffic tests: the simulator's router as a `Route`, and a HAR made from cassettes."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import vcr
import yaml

from conformance.cli.certify_pos import served_target
from conformance.cli.pos_wire import route_for
from conformance.loader.scenarios import load_scenarios
from conformance.loader.specs import spec_for
from conformance.model.result import ScenarioResult
from conformance.pos.till import Till
from conformance.runner.pos.drivers import FunctionDriver
from conformance.runner.pos.session import certify_scenario, pos_scenarios
from conformance.transport.live import HttpTransport


def route_of(api: str) -> Any:
    return route_for(spec_for(api))


def record_reference_pos(api: str, folder: Path) -> list[ScenarioResult]:
    """The reference POS certified by the driver session over real HTTP on 127.0.0.1, its own requests (and
    only its own: not the suite's set-up calls) recorded by vcrpy, one cassette per scenario named by its id."""
    spec = spec_for(api)
    results = []
    with ExitStack() as stack:
        target = served_target(api, stack)
        transports: dict[str, Any] = {}

        def send_for(base_url: str) -> Any:
            if base_url not in transports:
                transports[base_url] = HttpTransport(base_url).send
            return transports[base_url]

        till, recording = Till(send_for), {"on": False}

        def perform(action: Any) -> Any:
            recording["on"] = True
            try:
                return till.perform(action)
            finally:
                recording["on"] = False

        recorder = vcr.VCR(record_mode="all", before_record_request=lambda r: r if recording["on"] else None)
        driver = FunctionDriver(perform, "reference POS, recorded")
        for scenario in pos_scenarios(s for s in load_scenarios().values() if s.api == api):
            with recorder.use_cassette(str(folder / f"{scenario.id}.yaml")):
                results.append(certify_scenario(scenario, spec, target, driver))
    return results


def har_from_cassettes(paths: list[Path], out: Path, *, pages: bool) -> Path:
    """A HAR 1.2 file holding the cassettes' interactions (one page per cassette, titled with its scenario)."""
    entries: list[dict[str, Any]] = []
    page_list = []
    for number, path in enumerate(paths):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        page_list.append({"id": f"page_{number}", "title": (data.get("metadata") or {}).get("scenario", path.stem),
                          "startedDateTime": "2026-01-01T12:00:00Z", "pageTimings": {}})
        for item in data["interactions"]:
            request, response = item["request"], item["response"]
            entry = {
                "startedDateTime": "2026-01-01T12:00:00.000Z", "time": 3.5,
                "request": {"method": request["method"], "url": request["uri"].replace("http://simulator",
                                                                                       "http://till.example"),
                            "httpVersion": "HTTP/1.1", "cookies": [], "queryString": [], "headersSize": -1,
                            "bodySize": -1,
                            "headers": [{"name": k, "value": v[0]} for k, v in (request["headers"] or {}).items()],
                            **({"postData": {"mimeType": _header(request, "content-type"),
                                             "text": request["body"]}} if request["body"] else {})},
                "response": {"status": response["status"]["code"], "statusText": response["status"]["message"],
                             "httpVersion": "HTTP/1.1", "cookies": [], "redirectURL": "", "headersSize": -1,
                             "bodySize": -1,
                             "headers": [{"name": k, "value": v[0]} for k, v in response["headers"].items()],
                             "content": {"mimeType": "application/json", "size": 0,
                                         "text": response["body"]["string"]}},
                "cache": {}, "timings": {"send": 0, "wait": 3, "receive": 0.5},
            }
            if pages:
                entry["pageref"] = f"page_{number}"
            entries.append(entry)
    log = {"version": "1.2", "creator": {"name": "tests", "version": "1"}, "entries": entries}
    if pages:
        log["pages"] = page_list
    out.write_text(json.dumps({"log": log}, indent=1), encoding="utf-8")
    return out


def _header(message: dict[str, Any], name: str) -> str:
    return next((v[0] for k, v in (message.get("headers") or {}).items() if k.lower() == name), "application/json")
