"""Read scenarios (scenarios/<api>/*.yaml) into frozen :class:`Scenario` objects, or say `file:line: what is wrong`.

Checked in order: YAML syntax; plain scalars (a YAML float becomes an exact Decimal, an unquoted
timestamp is refused); the shipped JSON Schema; then what a schema cannot say: the id belongs to its
api, every operationId and requirement id exists in ``specs/<api>/``, the program exists, step ids are
unique, path parameters match the operation's path, and every ``{{template}}`` names either an earlier
step's capture or something inside ``given``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from conformance.core.errors import DataError
from conformance.loader.paths import data_folders, data_key
from conformance.loader.programs import load_programs
from conformance.loader.schemacheck import check_schema, suggest
from conformance.loader.specs import load_control_spec, spec_for
from conformance.loader.yamlio import Located, Pointer, load_yaml
from conformance.model.scenario import Expectation, PosBlock, Scenario, Step, StepRequest, freeze
from conformance.model.spec import API_IDS, ApiSpec
from conformance.model.template import MISSING, dig, malformed, references

_PATH_PARAM = re.compile(r"\{([^}/]+)\}")
_TEMPLATED = ("request", "expect", "pos")
"""Step blocks whose strings may hold templates (a capture's own path may not)."""


@cache
def _program_apis(key: tuple[Path, Path | None]) -> dict[str, str]:
    return {program.id: program.api for program in load_programs().values()}


# --- public entry points --------------------------------------------------------------------------------


def iter_scenario_files(source: Path | str | None = None) -> Iterator[Path]:
    """The scenario files of every api, of one api (`source` an api id), or under a folder, in name order."""
    if source is None or (isinstance(source, str) and source in API_IDS):
        for api in [source] if source else API_IDS:  # the `--data` overlay's files replace same-named ones
            by_name = {p.relative_to(folder): p for folder in data_folders("scenarios", str(api))
                       for p in _yaml_files(folder)}
            yield from (by_name[name] for name in sorted(by_name))
        return
    folder = Path(source)
    yield from [folder] if folder.is_file() else sorted(_yaml_files(folder))


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and "programs" not in
            p.relative_to(folder).parts]


def load_scenarios(source: Path | str | None = None, specs: Mapping[str, ApiSpec] | None = None,
                   broken: list[DataError] | None = None) -> dict[str, Scenario]:
    """Every scenario of every api, of one api id, or under a folder, by id; a duplicate id is a DataError.

    With a `broken` list, a file that cannot be loaded is added to it and skipped instead of stopping all.
    """
    scenarios: dict[str, Scenario] = {}
    for path in iter_scenario_files(source):
        try:
            scenario = load_scenario(path, specs)
            if scenario.id in scenarios:
                raise DataError(path, _line_of_id(path), f"duplicate scenario id {scenario.id!r} "
                                f"(also in {scenarios[scenario.id].path})")
        except DataError as exc:
            if broken is None:
                raise
            broken.append(exc)
            continue
        scenarios[scenario.id] = scenario
    return scenarios


def load_scenario(path: Path | str, specs: Mapping[str, ApiSpec] | None = None) -> Scenario:
    """Load and check one scenario file; raises DataError naming the file and line."""
    located = load_yaml(path)
    located = Located(located.path, _exact_scalars(located, located.data, ()), located.lines)
    if not isinstance(located.data, Mapping):
        raise located.error((), "a scenario is a mapping with id, title, api, requirements, source and steps")
    check_schema(located, "scenario")
    data: Mapping[str, Any] = located.data
    api: str = data["api"]
    spec = specs[api] if specs is not None and api in specs else spec_for(api)
    _check_identity(located, api)
    _check_requirements(located, spec)
    _check_program(located, api)
    _check_steps(located, spec)
    return _build(located)


def _line_of_id(path: Path) -> int:
    return load_yaml(path).line_of(("id",))


# --- scalars and schema ---------------------------------------------------------------------------------


def _exact_scalars(located: Located, value: Any, where: Pointer) -> Any:
    """YAML floats become exact Decimals (money is never a float); unquoted timestamps are refused."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise located.error(where, f"{value!r} is not a finite number")
        return Decimal(repr(value))
    if isinstance(value, dt.date | dt.datetime):
        raise located.error(where, f"{value} is read by YAML as a timestamp; quote it to send it as text")
    if isinstance(value, bytes):
        raise located.error(where, "binary values are not supported")
    if isinstance(value, Mapping):
        return {key: _exact_scalars(located, item, (*where, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact_scalars(located, item, (*where, index)) for index, item in enumerate(value)]
    return value


# --- what a schema cannot say ---------------------------------------------------------------------------


def _check_identity(located: Located, api: str) -> None:
    scenario_id: str = located.data["id"]
    if scenario_id.split(".", 1)[0] != api:
        raise located.error(("id",), f"scenario id {scenario_id!r} must start with its api, {api!r}")
    folder = located.path.parent.name
    if folder in API_IDS and folder != api:
        raise located.error(("api",), f"api {api!r} does not match the folder scenarios/{folder}/")


def _check_requirements(located: Located, spec: ApiSpec) -> None:
    known = {requirement.id for requirement in spec.requirements}
    for index, requirement in enumerate(located.data["requirements"]):
        if requirement not in known:
            raise located.error(("requirements", index), f"unknown requirement id {requirement!r} for {spec.api}"
                                f"{suggest(requirement, known)} (see {spec.api}/requirements.yaml)")


def _check_program(located: Located, api: str) -> None:
    program = located.data.get("program")
    if program is None:
        return
    programs = _program_apis(data_key())
    if program not in programs:
        raise located.error(("program",), f"unknown program {program!r}{suggest(program, programs)}"
                            " (see scenarios/programs/)")
    if programs[program] != api:
        raise located.error(("program",), f"program {program!r} is for {programs[program]!r}, not {api!r}")


def _check_steps(located: Located, spec: ApiSpec) -> None:
    data = located.data
    given = data.get("given") or {}
    credentials = given.get("credentials") or []
    operations = {op.operation_id: op for op in spec.operations if not op.webhook}
    control = {op.operation_id: op for op in load_control_spec().operations}
    seen_steps: dict[str, int] = {}
    captures: dict[str, str] = {}
    later = {name: step["id"] for step in data["steps"] for name in (step.get("capture") or {})}
    for index, step in enumerate(data["steps"]):
        at: Pointer = ("steps", index)
        if step["id"] in seen_steps:
            raise located.error((*at, "id"), f"duplicate step id {step['id']!r} (also step "
                                f"{seen_steps[step['id']] + 1})")
        seen_steps[step["id"]] = index
        name = step["operation"]
        operation = operations.get(name) or control.get(name)
        if operation is None:
            webhook = any(op.operation_id == name and op.webhook for op in spec.operations)
            why = " (a webhook: the provider sends it, a step cannot)" if webhook else suggest(name, operations)
            raise located.error((*at, "operation"), f"unknown operationId {name!r} for {spec.api}{why}")
        request = step.get("request") or {}
        _check_path_params(located, (*at, "request", "path"), operation.path, request.get("path") or {})
        auth = request.get("auth")
        if isinstance(auth, int) and not isinstance(auth, bool) and auth >= len(credentials):
            raise located.error((*at, "request", "auth"),
                                f"auth {auth} names no entry of given.credentials ({len(credentials)} given)")
        for block in _TEMPLATED:
            _check_templates(located, (*at, block), step.get(block), given, captures, later)
        for capture in step.get("capture") or {}:
            captures[capture] = step["id"]


def _check_path_params(located: Located, where: Pointer, template: str, given: Mapping[str, Any]) -> None:
    wanted = set(_PATH_PARAM.findall(template))
    for name in given:
        if name not in wanted:
            raise located.error((*where, name), f"{template} has no path parameter {name!r}")
    missing = sorted(wanted - set(given))
    if missing:
        raise located.error(where, f"{template} needs path parameter(s) {', '.join(missing)}")


def _check_templates(located: Located, where: Pointer, value: Any, given: Mapping[str, Any],
                     captures: Mapping[str, str], later: Mapping[str, str]) -> None:
    for pointer, text in _strings(value, where):
        if malformed(text):
            raise located.error(pointer, f"malformed template in {text!r}: write {{{{name}}}} or {{{{given.path}}}}")
    for pointer, name in references(value):
        full = (*where, *pointer)
        root, _, rest = name.partition(".")
        if root == "given":
            if dig(given, rest) is MISSING if rest else not given:
                raise located.error(full, f"template {{{{{name}}}}} names nothing: `given` has no {rest or 'block'}")
        elif root not in captures:
            if root in later:
                raise located.error(full, f"template {{{{{name}}}}} uses capture {root!r} before step "
                                    f"{later[root]!r} sets it")
            known = sorted(captures)
            raise located.error(full, f"unknown capture reference {{{{{name}}}}}"
                                f"{' (captured so far: ' + ', '.join(known) + ')' if known else ''}")


def _strings(value: Any, where: Pointer) -> Iterator[tuple[Pointer, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*where, index))


# --- building the model ---------------------------------------------------------------------------------


def _build(located: Located) -> Scenario:
    data: Mapping[str, Any] = located.data
    control = {op.operation_id for op in load_control_spec().operations}
    steps = []
    for index, step in enumerate(data["steps"]):
        request = step.get("request") or {}
        expect = step["expect"]
        pos = step.get("pos")
        steps.append(Step(
            id=step["id"],
            title=step["title"],
            operation=step["operation"],
            request=StepRequest(path=freeze(request.get("path") or {}), query=freeze(request.get("query") or {}),
                                headers=freeze(request.get("headers") or {}), body=freeze(request.get("body")),
                                auth=freeze(request.get("auth"))),
            expect=Expectation(status=expect["status"], body=freeze(expect.get("body") or {}),
                               error=expect.get("error")),
            capture=freeze(step.get("capture") or {}),
            pos=PosBlock(cashier=pos["cashier"].strip(), action=freeze(pos["action"])) if pos else None,
            control=step["operation"] in control,
            line=located.line_of(("steps", index)),
        ))
    return Scenario(
        id=data["id"],
        title=data["title"],
        api=data["api"],
        requirements=tuple(data["requirements"]),
        steps=tuple(steps),
        given=freeze(data.get("given") or {}),
        program=data.get("program"),
        source=data["source"],
        description=(data.get("description") or "").strip(),
        notes=(data.get("notes") or "").strip(),
        path=located.path,
    )
