"""The specs are valid, complete and traceable; `specs check` names the file and line of a problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from conformance.loader.speccheck import check_all
from conformance.loader.specs import load_all_specs, load_located_spec
from conformance.model.spec import API_IDS
from tests.conftest import run_cli

MINIMUM_OPERATIONS = {
    "ackroo": [
        ("post", "/transaction/loyalty/credit/multi"), ("post", "/transaction/loyalty/refund/multi"),
        ("get", "/device/card"), ("post", "/device/card"), ("post", "/transaction/loyalty/debit/partial"),
        ("post", "/transaction/gift/credit"), ("post", "/transaction/gift/debit/partial"),
        ("post", "/transaction/reversal"), ("get", "/device"), ("post", "/oauth/token"),
        ("post", "/transaction/loyalty/credit"), ("post", "/transaction/loyalty/debit"),
        ("post", "/transaction/gift/debit"), ("post", "/transaction/gift/issue"),
        ("post", "/transaction/loyalty/refund"), ("delete", "/transaction"),
    ],
    "crmcom-webapi": [
        ("post", "/authentication/token"), ("post", "/rewards_participants/show"),
        ("post", "/customer_events/purchases/preview"), ("post", "/customer_events/purchases/create"),
        ("post", "/customer_events/spend_requests/create"),
    ],
    "crmcom": [
        ("post", "/purchases"), ("post", "/purchases/{id}/cancel"), ("post", "/purchases/ad_hoc_return"),
        ("get", "/customers"), ("post", "/synchronise_products"), ("get", "/orders"),
        ("put", "/orders/{id}/actions"), ("get", "/order_cancellation_reasons"),
    ],
    "antavo": [
        ("post", "/events"), ("get", "/customers/{customer_id}"),
        ("post", "/extensions/automation/campaign-bonus"),
    ],
}
OBSERVED_ACKROO = {"/transaction/loyalty/credit", "/transaction/loyalty/debit", "/transaction/gift/debit",
                   "/transaction/gift/issue", "/transaction/loyalty/refund", "/transaction"}


def test_specs_check_finds_no_problem() -> None:
    problems = check_all()
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("api", [*API_IDS, "control"])
def test_every_spec_is_valid_openapi_31(api: str) -> None:
    spec = load_located_spec(api)
    assert spec.data["openapi"].startswith("3.1")
    validate(spec.data)


@pytest.mark.parametrize("api", API_IDS)
def test_minimum_operations_are_present(api: str) -> None:
    spec = load_all_specs()[api]
    present = {(op.method, op.path) for op in spec.operations if not op.webhook}
    missing = [f"{m.upper()} {p}" for m, p in MINIMUM_OPERATIONS[api] if (m, p) not in present]
    assert not missing


def test_ackroo_sample_variants_are_marked_observed() -> None:
    spec = load_all_specs()["ackroo"]
    for op in spec.operations:
        if op.path in OBSERVED_ACKROO and not (op.path == "/transaction" and op.method != "delete"):
            assert op.confidence == "observed", op.label


@pytest.mark.parametrize("api,webhook", [("crmcom", "order"), ("antavo", "voucher")])
def test_webhooks_are_specified(api: str, webhook: str) -> None:
    hooks = [op for op in load_all_specs()[api].operations if op.webhook]
    assert any(webhook in (op.path + op.operation_id).lower() for op in hooks)


@pytest.mark.parametrize("api", API_IDS)
def test_every_operation_is_traceable(api: str) -> None:
    for op in load_all_specs()[api].operations:
        assert op.operation_id and op.source and op.confidence in ("documented", "observed", "inferred"), op.label


def test_requirement_ids_are_unique_and_sourced() -> None:
    ids: list[str] = []
    for spec in load_all_specs().values():
        assert spec.requirements, spec.api
        for req in spec.requirements:
            ids.append(req.id)
            assert re.search(r"00[0-9]_[0-9a-f]{16}\.txt|providers\.md|DESIGN\.md", req.source), req.id
    assert len(ids) == len(set(ids))


def test_all_nineteen_ackroo_use_cases_have_requirements() -> None:
    ids = {r.id for r in load_all_specs()["ackroo"].requirements}
    assert {f"ACK-UC{n:02d}" for n in range(1, 20)} <= ids


def _break(path: Path, old: str, new: str) -> int:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    index = text.index(old)
    path.write_text(text.replace(old, new, 1))
    return text[:index].count("\n") + 1


def test_check_cli_passes_on_the_shipped_specs() -> None:
    result = run_cli("specs", "check")
    assert result.returncode == 0, result.stderr


def test_check_cli_names_file_and_line_of_a_missing_source(data_copy: Path) -> None:
    spec = data_copy / "specs" / "ackroo" / "openapi.yaml"
    line = _break(spec, "x-confidence:", "x-not-confidence:")
    result = run_cli("specs", "check")
    assert result.returncode == 2
    assert f"{spec}:" in result.stderr
    assert "x-confidence" in result.stderr
    assert "Traceback" not in result.stderr
    reported = [int(m) for m in re.findall(rf"{re.escape(str(spec))}:(\d+):", result.stderr)]
    # the missing key is reported at its operation or schema, which starts at most a few lines above it
    assert any(0 <= line - n <= 20 for n in reported), (line, result.stderr)


def test_check_cli_names_file_and_line_of_broken_yaml(data_copy: Path) -> None:
    spec = data_copy / "specs" / "antavo" / "openapi.yaml"
    lines = spec.read_text().splitlines()
    lines.insert(5, "  broken: [unclosed")
    spec.write_text("\n".join(lines) + "\n")
    result = run_cli("specs", "check")
    assert result.returncode == 2
    assert re.search(rf"{re.escape(str(spec))}:\d+: invalid YAML", result.stderr), result.stderr


def test_check_cli_catches_an_example_that_breaks_its_schema(data_copy: Path) -> None:
    spec = data_copy / "specs" / "ackroo" / "openapi.yaml"
    text = spec.read_text()
    # turn the first tender slot of an example into a negative amount
    broken = re.sub(r'("?tender_type_list"?:\s*\[\s*)"(13)"', r'\1"-13"', text, count=1)
    assert broken != text
    spec.write_text(broken)
    result = run_cli("specs", "check")
    assert result.returncode == 2
    assert "example does not match its schema" in result.stderr


def test_check_cli_catches_a_dangling_ref(data_copy: Path) -> None:
    spec = data_copy / "specs" / "crmcom" / "openapi.yaml"
    text = spec.read_text()
    match = re.search(r"\$ref: ['\"]?#/components/schemas/(\w+)", text)
    assert match
    spec.write_text(text.replace(match.group(0), match.group(0) + "Nowhere", 1))
    result = run_cli("specs", "check")
    assert result.returncode == 2
    assert "does not resolve" in result.stderr


def test_check_cli_catches_a_duplicate_requirement(data_copy: Path) -> None:
    reqs = data_copy / "specs" / "antavo" / "requirements.yaml"
    text = reqs.read_text()
    first = re.search(r"id:\s*(ANT-[A-Z0-9-]+)", text)
    second = re.search(r"id:\s*(ANT-[A-Z0-9-]+)", text[first.end():]) if first else None
    assert first and second
    reqs.write_text(text[: first.end()] + text[first.end():].replace(second.group(1), first.group(1), 1))
    result = run_cli("specs", "check")
    assert result.returncode == 2
    assert "duplicate requirement id" in result.stderr


def test_specs_list_prints_every_operation_and_totals() -> None:
    result = run_cli("specs", "list")
    assert result.returncode == 0, result.stderr
    total = sum(len(s.operations) for s in load_all_specs().values())
    assert f"# total: {total} operations in 4 apis" in result.stdout
    assert "loyaltyCreditMulti" in result.stdout
    assert "002_f24dd93b81ea83d9.txt" in result.stdout


def _problems_after(data_copy: Path, api: str, old: str, new: str) -> list[str]:
    """The problems `specs check` finds once `old` (unique) is replaced by `new` in `api`'s requirements."""
    path = data_copy / "specs" / api / "requirements.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return [str(p) for p in check_all(data_copy / "specs")]


def test_an_inferred_requirement_cannot_be_must(data_copy: Path) -> None:
    old = ("    level: SHOULD\n    actor: both\n"
           "    source: \"002_f24dd93b81ea83d9.txt § Use Case 1 (prints one device_id)")
    problems = _problems_after(data_copy, "ackroo", old, old.replace("SHOULD", "MUST"))
    assert any("inferred facts cannot be MUST" in p and "requirements.yaml:" in p for p in problems), problems


def test_a_documented_requirement_must_quote_its_seed_truly(data_copy: Path) -> None:
    quote = "    quote: [Either contact_id or cim must be specified]\n"
    assert any("quote 'Either contact_id or cim may be specified' is not in" in p for p in
               _problems_after(data_copy, "crmcom", quote, quote.replace("must", "may")))


def test_a_documented_requirement_without_quote_or_line_is_refused(data_copy: Path) -> None:
    old = "    source: \"002_f24dd93b81ea83d9.txt:4-21 § Use Case 1\"\n"
    problems = _problems_after(data_copy, "ackroo", old, old.replace(":4-21", ""))
    assert any("must quote its seed" in p for p in problems), problems
    problems = _problems_after(data_copy, "ackroo", old.replace(":4-21", ""), old.replace(":4-21", ":4-999"))
    assert any("has lines 1-" in p for p in problems), problems


def test_decided_needs_design_and_every_requirement_a_confidence(data_copy: Path) -> None:
    old = "    confidence: observed\n"
    path = data_copy / "specs" / "antavo" / "requirements.yaml"
    first = path.read_text(encoding="utf-8").index(old)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:first] + "    confidence: decided\n" + text[first + len(old):], encoding="utf-8")
    problems = [str(p) for p in check_all(data_copy / "specs")]
    assert any("decided requirement's source must name DESIGN.md" in p for p in problems), problems
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    confidence: decided\n", "", 1), encoding="utf-8")
    assert any("needs `confidence`" in str(p) for p in check_all(data_copy / "specs"))


def test_the_shipped_seeds_are_the_source_documents() -> None:
    # quotes and line pointers are checked against specs/seeds; the copies must be the documents themselves
    seeds = sorted(p.name for p in (Path(__file__).parent.parent / "specs" / "seeds").glob("00*.txt"))
    assert len(seeds) == 5
    reqs = [r for spec in load_all_specs().values() for r in spec.requirements]
    assert {r.confidence for r in reqs} <= {"documented", "observed", "decided", "inferred"}
    assert not [r.id for r in reqs if r.confidence == "inferred" and r.level == "MUST"]
