"""Recorded POS traffic (vcrpy cassettes, HAR 1.2 files) as the simulator's exchange log, matched to scenarios.

A POS vendor who cannot run a driver still has traffic: the cassettes of its own tests, or a HAR exported
by a browser or mitmproxy. Each recorded request becomes an entry in the shape `GET /_control/exchanges`
serves (redacted as it is read, so a secret never goes further than this module), and runs of entries are
matched to the POS steps of scenarios by operation (method + the spec's path template, in order), so the
judge can judge a recording exactly as it judges live traffic.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from vcr.serialize import deserialize
from vcr.serializers import jsonserializer, yamlserializer

from conformance.core import jsonio
from conformance.core.errors import DataError
from conformance.core.redact import mask_cards_in_text, redact, redact_headers, redact_query
from conformance.loader.yamlio import Located, load_yaml
from conformance.model.result import Outcome, ScenarioResult, worst
from conformance.model.scenario import Scenario, Step, thaw
from conformance.model.spec import ApiSpec
from conformance.model.template import TEMPLATE, render
from conformance.runner.pos.judge import ACTION_OPERATIONS, READS, SAME_AS, judge_step
from conformance.runner.pos.session import companions, step_result
from conformance.runner.scenarios import Unresolved, _Context

Route = Callable[[str, str], str | None]
"""(method, path relative to an api's base URL) -> operationId, or None. The CLI hands in the simulator's
router: the runner never imports the simulator."""

CASSETTE_SUFFIXES = (".yaml", ".yml", ".json")
CONTROL_PREFIX = "/_control"


@dataclass(frozen=True)
class Recorded:
    """One recorded exchange, in the exchange-log shape, and where it was read."""

    source: str
    """`file:line` (cassettes) or `file#entry` (HAR): what a finding points at."""
    exchange: Mapping[str, Any]
    group: str = ""
    """The recording session it belongs to (a cassette file, a HAR page): a scenario never spans two."""
    scenario_hint: str | None = None
    """The scenario a cassette's vcrpy `metadata.scenario` names (the suite's own cassettes do), else the
    cassette's file name (`ackroo.uc01-cash-credit.yaml`), or the title of the HAR page of the entry; it
    counts only when it is a scenario id."""


# --- reading ----------------------------------------------------------------------------------------------


def read_cassettes(path: Path) -> list[Recorded]:
    """Every interaction of a vcrpy cassette, or of every cassette under a folder (sorted by name)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in CASSETTE_SUFFIXES and p.is_file())
        if not files:
            raise DataError(path, None, f"no cassette ({', '.join(CASSETTE_SUFFIXES)}) in this folder")
        return [item for file in files for item in read_cassette(file)]
    return read_cassette(path)


def read_cassette(path: Path) -> list[Recorded]:
    """One vcrpy cassette (YAML or JSON serializer), read with vcrpy's own deserializer."""
    text = read_text(path)
    if path.suffix == ".json":
        located = Located(path, read_json(path, text), {(): 1})
        serializer: Any = jsonserializer
    else:
        located = load_yaml(path, text)
        serializer = yamlserializer
    interactions = located.data.get("interactions") if isinstance(located.data, dict) else None
    if not isinstance(interactions, list):
        raise located.error((), "not a vcrpy cassette: no `interactions` list")
    for index, entry in enumerate(interactions):
        _check_interaction(located, index, entry)
    try:
        requests, responses, *_ = deserialize(text, serializer)
    except (ValueError, KeyError, TypeError) as exc:
        raise located.error((), f"not a vcrpy cassette: {exc}") from None
    meta = located.data.get("metadata")
    hint = meta.get("scenario") if isinstance(meta, dict) and isinstance(meta.get("scenario"), str) else path.stem
    recorded = []
    for index, (request, response) in enumerate(zip(requests, responses, strict=True)):
        headers = {str(k): _last(v) for k, v in dict(request.headers or {}).items()}
        reply_headers = {str(k): _last(v) for k, v in dict(response.get("headers") or {}).items()}
        body = (response.get("body") or {}).get("string", b"")
        recorded.append(Recorded(
            f"{path}:{located.line_of(('interactions', index))}",
            _entry(index + 1, str(request.method), str(request.uri), headers, _bytes(request.body),
                   int(response["status"]["code"]), reply_headers, _bytes(body), at=None, duration=None),
            str(path), hint))
    return recorded


def _check_interaction(located: Located, index: int, entry: Any) -> None:
    try:
        ok = (isinstance(entry["request"]["method"], str) and isinstance(entry["request"]["uri"], str)
              and isinstance(entry["response"]["status"]["code"], int))
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise located.error(("interactions", index), "an interaction needs request.method, request.uri and "
                            "response.status.code")


def read_har(path: Path) -> list[Recorded]:
    """Every entry of a HAR 1.2 log (browsers' "Save all as HAR", mitmproxy's HAR export)."""
    data = read_json(path, read_text(path))
    entries = data.get("log", {}).get("entries") if isinstance(data, dict) and isinstance(data.get("log"), dict) \
        else None
    if not isinstance(entries, list):
        raise DataError(path, None, "not a HAR file: no `log.entries` list")
    pages = data["log"].get("pages")
    titles = {str(page.get("id")): str(page["title"]) for page in pages if isinstance(page, dict)
              and isinstance(page.get("title"), str)} if isinstance(pages, list) else {}
    recorded = []
    for index, entry in enumerate(entries):
        where = f"log.entries[{index}]"
        try:
            request, response = entry["request"], entry["response"]
            method, url, status = request["method"], request["url"], response["status"]
        except (KeyError, TypeError):
            raise DataError(path, None, f"{where}: a HAR entry needs request.method, request.url and "
                            "response.status") from None
        if not (isinstance(method, str) and isinstance(url, str) and isinstance(status, int)):
            raise DataError(path, None, f"{where}: method and url are text, the status an integer")
        content = response.get("content") or {}
        body = content.get("text") or ""
        if content.get("encoding") == "base64":
            try:
                reply = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise DataError(path, None, f"{where}.response.content: not base64") from None
        else:
            reply = str(body).encode("utf-8")
        sent = str((request.get("postData") or {}).get("text") or "").encode("utf-8")
        duration = entry.get("time")
        recorded.append(Recorded(f"{path}#{where}", _entry(
            index + 1, method, url, _har_headers(request), sent, status, _har_headers(response),
            reply, at=entry.get("startedDateTime"),
            duration=Decimal(str(duration)) if isinstance(duration, int | float) and duration >= 0 else None),
            f"{path}#{entry.get('pageref') or ''}", titles.get(str(entry.get("pageref")))))
    return recorded


def _har_headers(message: Mapping[str, Any]) -> dict[str, str]:
    pairs = message.get("headers") or []
    return {str(h["name"]).lower(): str(h.get("value", "")) for h in pairs if isinstance(h, dict) and "name" in h}


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(path, None, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataError(path, None, "not UTF-8 text") from None


def read_json(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(path, exc.lineno, f"invalid JSON: {exc.msg}") from None


def _last(value: Any) -> str:
    return str(value[-1]) if isinstance(value, list) and value else str(value)


def _bytes(body: Any) -> bytes:
    if body is None:
        return b""
    return body if isinstance(body, bytes) else str(body).encode("utf-8")


def _entry(seq: int, method: str, url: str, headers: Mapping[str, str], body: bytes, status: int,
           reply_headers: Mapping[str, str], reply: bytes, *, at: Any, duration: Decimal | None) -> dict[str, Any]:
    """The exchange-log entry of one recorded request, redacted (the path keeps the recorded origin's path)."""
    parts = urlsplit(url)
    entry: dict[str, Any] = {
        "seq": seq, "api": None, "operation_id": None,
        "request": {"method": method.upper(), "path": mask_cards_in_text(parts.path or "/"),
                    "query": redact_query(parts.query), "headers": redact_headers(headers),
                    "body": redact(_parse(body, headers))},
        "response": {"status": status, "headers": redact_headers(reply_headers),
                     "body": redact(_parse(reply, reply_headers))},
    }
    if isinstance(at, str):
        entry["at"] = at
    if duration is not None:
        entry["duration_ms"] = duration
    return entry


def _parse(body: bytes, headers: Mapping[str, str]) -> Any:
    """A body as the simulator logs it: JSON (Decimal numbers) or a form as a mapping; other text as text."""
    if not body:
        return None
    media = next((v for k, v in headers.items() if k.lower() == "content-type"), "").split(";")[0].strip().lower()
    text = body.decode("utf-8", "replace")
    if media == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True))
    try:
        return jsonio.loads(text)
    except ValueError:
        return text


# --- operations -------------------------------------------------------------------------------------------


def with_operations(recorded: Iterable[Recorded], api: str, route: Route) -> list[Recorded]:
    """Name each exchange's api and operation. The path is tried whole, then without its leading segments
    (`/ackroo/...`, `/crmapi/rest/v2/...`): an api's base URL is whatever precedes its documented paths.
    Control-interface calls (a recording made against the simulator) are left out."""
    named = []
    for item in recorded:
        request = item.exchange["request"]
        if str(request["path"]).startswith(CONTROL_PREFIX + "/"):
            continue
        operation = operation_of(route, str(request["method"]), str(request["path"]))
        named.append(Recorded(item.source, {**item.exchange, "api": api, "operation_id": operation},
                              item.group, item.scenario_hint))
    return named


def operation_of(route: Route, method: str, path: str) -> str | None:
    segments = path.split("/")[1:]
    for start in range(len(segments)):
        found = route(method, "/" + "/".join(segments[start:]))
        if found is not None:
            return found
    return None


# --- matching ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One driver action of a scenario as a recording holds it: its step, the later steps the same action
    makes (a Web API sale previews, creates and spends), and the operations it may send."""

    step: Step
    made: tuple[Step, ...]
    allowed: frozenset[str]
    """Operations (documented alternatives folded, judge.SAME_AS) the action may send."""
    needs: frozenset[str]
    """Operations that complete it: its steps' own."""


def _same(operation: Any) -> str:
    return SAME_AS.get(str(operation), str(operation))


def actions(scenario: Scenario) -> list[Action]:
    """Each driver action of the scenario a POS sends requests for, control-interface steps left out."""
    found = []
    for index, step in enumerate(scenario.steps):
        if step.pos is None or not step.pos.action or step.control:
            continue
        made = tuple(s for s in companions(scenario, index) if not s.control)
        needs = frozenset(_same(s.operation) for s in (step, *made))
        kind = str(step.pos.action.get("action"))
        allowed = needs | {_same(op) for op in ACTION_OPERATIONS.get(scenario.api, {}).get(kind, ())}
        found.append(Action(step, made, frozenset(allowed), needs))
    return found


@dataclass(frozen=True)
class ScenarioTraffic:
    """A scenario's actions and the recorded exchanges of each, in order."""

    scenario: Scenario
    groups: tuple[tuple[Action, tuple[Recorded, ...]], ...]

    @property
    def recorded(self) -> tuple[Recorded, ...]:
        return tuple(item for _, items in self.groups for item in items)

    @property
    def exchanges(self) -> list[dict[str, Any]]:
        """The exchange-log entries the judge reads, each with the `step_id` of the action it was matched to."""
        return [{**item.exchange, "step_id": action.step.id} for action, items in self.groups for item in items]

    def judged(self, spec: ApiSpec) -> ScenarioResult:
        """Each action's recorded exchanges judged as the driver session judges live ones; what the till
        showed (figures, receipt codes) is not in a recording and is not judged."""
        scenario = self.scenario
        context = _Context(scenario)
        results = []
        for action, items in self.groups:
            step = action.step
            assert step.pos is not None
            try:
                given = {k: v for k, v in render(thaw(step.pos.action), context.resolve).items() if k != "receipt"}
            except Unresolved:
                given = None
            judgement = judge_step(scenario.api, spec, step, [item.exchange for item in items], action=given,
                                   reported=None, companions=action.made, resolve=context.resolve,
                                   requirements=scenario.requirements)
            context.captures.update(judgement.captures)
            results.append(step_result(step, judgement, 0.0))
        return ScenarioResult(scenario.id, scenario.title, scenario.api, worst(r.outcome for r in results),
                              scenario.requirements, tuple(results))


@dataclass(frozen=True)
class Matching:
    matched: tuple[ScenarioTraffic, ...]
    missing: tuple[Scenario, ...]
    """Scenarios no run of the recording matched."""
    unmatched: tuple[Recorded, ...]
    """Recorded exchanges that belong to no matched scenario."""


def judge_recordings(matching: Matching, spec: ApiSpec) -> list[ScenarioResult]:
    """Every matched scenario judged; a scenario no recording matched is skipped, saying so."""
    results = [traffic.judged(spec) for traffic in matching.matched]
    for scenario in matching.missing:
        wanted = ", ".join(a.step.operation for a in actions(scenario))
        results.append(ScenarioResult(scenario.id, scenario.title, scenario.api, Outcome.SKIP, scenario.requirements,
                                      reason=f"no recorded traffic matched its POS actions ({wanted})"))
    return results


def match(recorded: Sequence[Recorded], scenarios: Iterable[Scenario]) -> Matching:
    """Match each recording session (a cassette, a HAR page) to scenarios, sessions in order.

    Exchanges are shared out among a scenario's actions in order: an exchange stays with the current action
    while its operation is one the action may send, and moves on to the next action once the current one
    has sent all its steps' operations. A session that names its scenario (vcrpy metadata, the cassette's
    file name, a HAR page title) is matched to that scenario only, whatever it holds (an action that sent
    nothing is judged so); calls no action may send are left over. Otherwise the session is cut, left to
    right, into runs that complete some scenario's every action; where several fit at one place, the one
    whose request bodies agree best with the recording wins (uc01 and uc02 both send one credit), then
    one not matched yet, then the longer. Scenarios that send the very same requests cannot be told apart
    this way: give each its own HAR page titled with the scenario id (or one cassette each).
    """
    every = {scenario.id: (scenario, actions(scenario)) for scenario in scenarios}
    candidates = {key: value for key, value in every.items() if value[1]}
    done: dict[str, ScenarioTraffic] = {}
    unmatched: list[Recorded] = []
    for session in _sessions(recorded):
        hint = session[0].scenario_hint
        if hint in every:  # the recording says which scenario it is: no other may claim it
            named = candidates.get(str(hint))
            if named is None or str(hint) in done:
                unmatched.extend(session)
                continue
            groups, left, _ = _share(session, 0, named[1], strict=False)
            done[named[0].id] = _traffic(named[0], named[1], session, groups)
            unmatched.extend(session[i] for i in left)
        else:
            unmatched.extend(_match_runs(session, list(candidates.values()), done))
    missing = tuple(scenario for scenario, _ in candidates.values() if scenario.id not in done)
    return Matching(tuple(done.values()), missing, tuple(unmatched))


def _sessions(recorded: Sequence[Recorded]) -> list[list[Recorded]]:
    sessions: list[list[Recorded]] = []
    for item in recorded:
        if sessions and sessions[-1][0].group == item.group:
            sessions[-1].append(item)
        else:
            sessions.append([item])
    return sessions


def _share(session: Sequence[Recorded], start: int, acts: Sequence[Action], *, strict: bool
           ) -> tuple[list[list[int]], list[int], int]:
    """(exchange indexes per action, indexes left over, where it stopped). Strict (a run among others): a
    complete action takes nothing more but reads (a second credit is another sale), and the run stops at the first
    exchange no action may take or once the last action is complete."""
    groups: list[list[int]] = [[] for _ in acts]
    left: list[int] = []
    current, index = 0, start
    while index < len(session):
        operation = _same(session[index].exchange.get("operation_id"))
        complete = acts[current].needs <= {_same(session[i].exchange.get("operation_id")) for i in groups[current]}
        if strict and complete and current == len(acts) - 1:
            break
        following = current + 1 < len(acts) and operation in acts[current + 1].allowed
        again = not strict or operation in READS  # a complete action may read again, not sell again
        if operation in acts[current].allowed and not (complete and (following or not again)):
            groups[current].append(index)
        elif following and groups[current]:
            current += 1
            groups[current].append(index)
        elif strict:
            break
        else:
            left.append(index)
        index += 1
    return groups, left, index


def _traffic(scenario: Scenario, acts: Sequence[Action], session: Sequence[Recorded],
             groups: Sequence[Sequence[int]]) -> ScenarioTraffic:
    return ScenarioTraffic(scenario, tuple((action, tuple(session[i] for i in indexes))
                                           for action, indexes in zip(acts, groups, strict=True)))


def _match_runs(session: Sequence[Recorded], candidates: Sequence[tuple[Scenario, list[Action]]],
                done: dict[str, ScenarioTraffic]) -> list[Recorded]:
    left: list[Recorded] = []
    index = 0
    while index < len(session):
        best: tuple[tuple[int, int, int], Scenario, list[Action], list[list[int]], int] | None = None
        for scenario, acts in candidates:
            groups, _, end = _share(session, index, acts, strict=True)
            if not all(groups) or not acts[-1].needs <= {_same(session[i].exchange.get("operation_id"))
                                                         for i in groups[-1]}:
                continue
            likeness = sum(_likeness(action.step, session[indexes[0]]) for action, indexes in zip(acts, groups,
                                                                                                   strict=True))
            rank = (likeness, 0 if scenario.id in done else 1, end - index)
            if best is None or rank > best[0]:
                best = (rank, scenario, acts, groups, end)
        if best is None or best[1].id in done:
            left.append(session[index])
            index += 1
            continue
        _, scenario, acts, groups, end = best
        done[scenario.id] = _traffic(scenario, acts, session, groups)
        index = end
    return left


def _likeness(step: Step, item: Recorded) -> int:
    """Literal request values of the step that the recorded body holds at the same place, less those it
    holds differently (templated values say nothing)."""
    score = 0
    actual = dict(_leaves(item.exchange["request"].get("body")))
    for key, value in _leaves(redact(thaw(step.request.body))):
        if key in actual and not (isinstance(value, str) and TEMPLATE.search(value)):
            score += 1 if str(actual[key]) == str(value) else -1
    return score


def _leaves(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from _leaves(item, f"{prefix}[{position}]")
    elif value is not None:
        yield prefix, value
