"""Helpers for the recorded-traffic tests: the simulator's router as a `Route`, and a HAR made from cassettes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from conformance.loader.specs import spec_for
from conformance.simulator.routing import Match, Router


def route_of(api: str) -> Any:
    router = Router(spec_for(api))

    def route(method: str, path: str) -> str | None:
        found = router.match(method, path)
        return found.operation.operation_id if isinstance(found, Match) else None

    return route


def har_from_cassettes(paths: list[Path], out: Path, *, pages: bool) -> Path:
    """A HAR 1.2 file holding the cassettes' interactions (one page per cassette, titled with its scenario)."""
    entries: list[dict[str, Any]] = []
    page_list = []
    for number, path in enumerate(paths):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        page_list.append({"id": f"page_{number}", "title": data["metadata"]["scenario"],
                          "startedDateTime": "2026-01-01T12:00:00Z", "pageTimings": {}})
        for item in data["interactions"]:
            request, response = item["request"], item["response"]
            entry = {
                "startedDateTime": "2026-01-01T12:00:00.000Z", "time": 3.5,
                "request": {"method": request["method"], "url": request["uri"].replace("http://simulator",
                                                                                       "http://127.0.0.1:8900"),
                            "httpVersion": "HTTP/1.1", "cookies": [], "queryString": [], "headersSize": -1,
                            "bodySize": -1,
                            "headers": [{"name": k, "value": v[0]} for k, v in request["headers"].items()],
                            **({"postData": {"mimeType": request["headers"]["content-type"][0],
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
