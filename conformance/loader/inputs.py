"""The data files a run reads (its specs, the control spec, scenario files, programs): what a report hashes
and an evidence bundle lists, so a report says exactly which documents judged the target."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from conformance.loader.programs import iter_program_files
from conformance.loader.specs import requirements_file, spec_file


def run_inputs(apis: Iterable[str], scenario_files: Iterable[Path | str] = ()) -> list[Path]:
    """The specs and requirements of `apis`, the control spec, the scenario files given, every program."""
    apis = sorted(set(apis))
    return [*(f(api) for api in apis for f in (spec_file, requirements_file)), spec_file("control"),
            *(Path(p) for p in scenario_files), *iter_program_files()]
