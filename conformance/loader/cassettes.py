"""Cassettes on disk: `cassettes/<api>/<scenario-id>.yaml` in vcrpy's own format (version 1).

The files load unchanged with ``vcr.use_cassette``; this module is the suite's only reader (every
problem names the file and line) and the one writer, so two recordings of the same run are
byte-identical: sorted keys, no line folding, ``content-length`` recomputed after redaction.
Scenario and step ids go in vcrpy's optional ``metadata`` block.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

import yaml

from conformance.core.errors import DataError
from conformance.core.exchange import Exchange
from conformance.loader.paths import cassettes_dir
from conformance.loader.yamlio import Located, load_yaml

FORMAT_VERSION = 1
BASE_URL = "http://simulator"
"""The origin every recorded uri starts with: `<BASE_URL>/<api>/...` and `<BASE_URL>/_control/...`."""


@dataclass(frozen=True)
class Interaction:
    """One recorded request and its answer, as stored (already redacted), with where it sits in its file."""

    line: int
    step_id: str
    method: str
    uri: str
    request_headers: Mapping[str, str]
    request_body: str
    status: int
    response_headers: Mapping[str, str]
    response_body: str


@dataclass(frozen=True)
class Cassette:
    path: Path
    scenario_id: str
    api: str
    interactions: tuple[Interaction, ...]


def cassette_path(root: Path, api: str, scenario_id: str) -> Path:
    return root / api / f"{scenario_id}.yaml"


def cassette_files(root: Path | None = None, apis: Iterable[str] = ()) -> list[Path]:
    """Every cassette under `root` (default: the shipped ones), of the apis given or of all, sorted."""
    root = root or cassettes_dir()
    wanted = set(apis)
    return sorted(path for path in root.glob("*/*.yaml") if not wanted or path.parent.name in wanted)


# --- writing ----------------------------------------------------------------------------------------------


def _headers(headers: Mapping[str, str], body: bytes) -> dict[str, list[str]]:
    kept = {name.lower(): [value] for name, value in headers.items() if name.lower() != "content-length"}
    if body:
        kept["content-length"] = [str(len(body))]
    return dict(sorted(kept.items()))


def interaction_dict(uri: str, exchange: Exchange) -> dict[str, Any]:
    """One exchange (already redacted) as a vcrpy interaction."""
    request, response = exchange.request, exchange.response
    return {
        "request": {"method": request.method, "uri": uri, "headers": _headers(request.headers, request.body),
                    "body": request.body.decode("utf-8") if request.body else None},
        "response": {"status": {"code": response.status, "message": _reason(response.status)},
                     "headers": _headers(response.headers, response.body),
                     "body": {"string": response.body.decode("utf-8")}},
    }


def dump_cassette(scenario_id: str, api: str, steps: Iterable[tuple[str, str, Exchange]]) -> str:
    """The cassette text of one scenario: `steps` are (step id, uri, redacted exchange) in order."""
    steps = list(steps)
    data = {
        "interactions": [interaction_dict(uri, exchange) for _, uri, exchange in steps],
        "metadata": {"api": api, "scenario": scenario_id, "steps": [step_id for step_id, _, _ in steps]},
        "version": FORMAT_VERSION,
    }
    return yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=1_000_000, default_flow_style=False)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# --- reading ----------------------------------------------------------------------------------------------


def load_cassette(path: Path, text: str | None = None) -> Cassette:
    """Read and check one cassette (or `text` as if it were `path`); a malformed one is a DataError naming
    its file and line."""
    located = load_yaml(path, text)
    data = located.data
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise located.error((), "not a vcrpy cassette: no `interactions` list")
    if data.get("version") != FORMAT_VERSION:
        raise located.error(("version",), f"cassette format version must be {FORMAT_VERSION}")
    meta = data.get("metadata")
    if not isinstance(meta, dict) or not all(isinstance(meta.get(k), str) for k in ("api", "scenario")):
        raise located.error(("metadata",), "`metadata` must name the `api` and the `scenario`")
    steps = meta.get("steps") or []
    if not isinstance(steps, list) or len(steps) != len(data["interactions"]):
        raise located.error(("metadata", "steps"), "`metadata.steps` must name one step per interaction")
    interactions = tuple(_interaction(located, index, entry, str(steps[index]))
                         for index, entry in enumerate(data["interactions"]))
    return Cassette(path, meta["scenario"], meta["api"], interactions)


def _interaction(located: Located, index: int, entry: Any, step_id: str) -> Interaction:
    where: tuple[str | int, ...] = ("interactions", index)
    try:
        request, response = entry["request"], entry["response"]
        method, uri, code = request["method"], request["uri"], response["status"]["code"]
        body = response["body"]["string"]
    except (KeyError, TypeError):
        raise located.error(where, "an interaction needs request.method, request.uri, response.status.code and "
                            "response.body.string") from None
    if not (isinstance(method, str) and isinstance(uri, str) and isinstance(code, int) and isinstance(body, str)):
        raise located.error(where, "method, uri and body are text, the status code an integer")
    return Interaction(
        line=located.line_of(where), step_id=step_id, method=method, uri=uri,
        request_headers=_flat(located, (*where, "request", "headers"), request.get("headers")),
        request_body=request.get("body") or "", status=code,
        response_headers=_flat(located, (*where, "response", "headers"), response.get("headers")), response_body=body)


def _flat(located: Located, where: tuple[str | int, ...], headers: Any) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, dict) or not all(isinstance(v, list) and v for v in headers.values()):
        raise located.error(where, "headers map a name to a list of values")
    return {str(name): str(values[-1]) for name, values in headers.items()}


def write_cassette(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DataError(path, None, f"cannot write: {exc.strerror or exc}") from None
