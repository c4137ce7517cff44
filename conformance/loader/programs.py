"""Read reward programs (scenarios/programs/*.yaml) into frozen :class:`Program` objects.

The file is checked against the shipped JSON Schema first, then against the rules a schema cannot say
(unique tender names, amounts finer than the program's scale). Every error names the file and the
line of the offending value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

from conformance.core.money import to_decimal
from conformance.loader.paths import data_folders, scenarios_dir
from conformance.loader.schemacheck import check_schema
from conformance.loader.yamlio import Located, Pointer, load_yaml
from conformance.model.program import (
    Earn,
    EarnRule,
    Program,
    Rounding,
    RoundingMode,
    RoundingPer,
    Spend,
    Tender,
    Tenders,
    UnpaidPolicy,
)


def programs_dir() -> Path:
    """Where the shipped programs live (``scenarios/programs``)."""
    return scenarios_dir() / "programs"


def iter_program_files(directory: Path | str | None = None) -> Iterator[Path]:
    """The program files :func:`load_programs` reads, in name order (the `--data` overlay's replace the
    bundled ones of the same name)."""
    folders = [Path(directory)] if directory is not None else data_folders("scenarios", "programs")
    by_name = {p.name: p for folder in folders for p in [*folder.glob("*.yaml"), *folder.glob("*.yml")]}
    yield from (by_name[name] for name in sorted(by_name))


def load_program(path: Path | str) -> Program:
    """Load and validate one program file; raises DataError naming the file and line."""
    located = load_yaml(path)
    located = Located(located.path, _exact_numbers(located, located.data, ()), located.lines)
    check_schema(located, "program")
    return _build(located)


def load_programs(directory: Path | str | None = None) -> dict[str, Program]:
    """Every ``*.yaml``/``*.yml`` program in a folder, by id; a duplicate id is a DataError."""
    programs: dict[str, Program] = {}
    origin: dict[str, Path] = {}
    for path in iter_program_files(directory):
        program = load_program(path)
        if program.id in programs:
            located = load_yaml(path)
            raise located.error(("id",), f"duplicate program id {program.id!r} (also in {origin[program.id]})")
        programs[program.id] = program
        origin[program.id] = path
    return programs


# --- validation ---------------------------------------------------------------------------------------


def _exact_numbers(located: Located, value: Any, where: Pointer) -> Any:
    """A YAML float becomes the exact decimal it was written as (`rate: 0.10` is "0.1", never a binary
    float), as in scenario files; infinities and NaN are refused."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            place = "/".join(str(part) for part in where) or "(top level)"
            raise located.error(where, f"{place}: {value!r} is not a finite number")
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Mapping):
        return {key: _exact_numbers(located, item, (*where, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact_numbers(located, item, (*where, index)) for index, item in enumerate(value)]
    return value


# --- building the model -------------------------------------------------------------------------------


def _build(located: Located) -> Program:
    data: Mapping[str, Any] = located.data
    scale: int = data["scale"]
    earn_data: Mapping[str, Any] = data["earn"]
    earn = Earn(
        default=_rule(located, ("earn", "default"), earn_data["default"], scale),
        skus=_rules(located, ("earn", "skus"), earn_data.get("skus", {}), scale),
        departments=_rules(located, ("earn", "departments"), earn_data.get("departments", {}), scale),
    )
    tenders_data: Mapping[str, Any] = data.get("tenders", {})
    slots: list[Tender] = []
    for index, slot in enumerate(tenders_data.get("slots", [])):
        if slot["name"] in {s.name for s in slots}:
            raise located.error(("tenders", "slots", index, "name"), f"duplicate tender name {slot['name']!r}")
        slots.append(Tender(slot["name"], to_decimal(slot["rate"])))
    unpaid: UnpaidPolicy = tenders_data.get("unpaid", "basket")
    spend_data: Mapping[str, Any] = data.get("spend", {})
    spend = Spend(
        minimum=_amount(located, ("spend", "minimum"), spend_data.get("minimum"), scale),
        maximum=_amount(located, ("spend", "maximum"), spend_data.get("maximum"), scale),
    )
    if spend.minimum is not None and spend.maximum is not None and spend.minimum > spend.maximum:
        raise located.error(("spend", "minimum"), f"spend minimum {spend.minimum} is above the maximum {spend.maximum}")
    rounding_data: Mapping[str, Any] = data.get("rounding", {})
    mode: RoundingMode = rounding_data.get("mode", "half-up")
    per: RoundingPer = rounding_data.get("per", "transaction")
    places: int = rounding_data.get("places", scale)
    if places > scale:
        raise located.error(("rounding", "places"), f"rounding to {places} places is finer than the scale ({scale})")
    return Program(
        id=data["id"],
        api=data["api"],
        description=data["description"].strip(),
        currency=data["currency"],
        scale=scale,
        earn=earn,
        tenders=Tenders(tuple(slots), unpaid),
        redemption_order=tuple(data.get("redemption_order", ())),
        spend=spend,
        rounding=Rounding(mode=mode, places=places, per=per),
        extra=_freeze(data.get("extra", {})),
    )


def _rules(located: Located, where: Pointer, rules: Mapping[str, Any], scale: int) -> Mapping[str, EarnRule]:
    return MappingProxyType({str(key): _rule(located, (*where, key), rule, scale) for key, rule in rules.items()})


def _rule(located: Located, where: Pointer, rule: Mapping[str, Any], scale: int) -> EarnRule:
    if "per_unit" in rule:
        return EarnRule(per_unit=_amount(located, (*where, "per_unit"), rule["per_unit"], scale))
    return EarnRule(rate=to_decimal(rule["rate"]))


def _amount(located: Located, where: Pointer, value: str | None, scale: int) -> Decimal | None:
    """A money amount of the program's unit: no finer than its scale (the ledger stores whole minor units)."""
    if value is None:
        return None
    amount = to_decimal(value)
    if amount.scaleb(scale) != amount.scaleb(scale).to_integral_value():
        raise located.error(where, f"{value} has more than {scale} decimal places")
    return amount


def _freeze(value: Any) -> Any:
    """Read-only copy of the free ``extra`` block: mappings become views, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value
