"""Honest confidence: what a requirement or a spec node may claim, given where its statement comes from.

Certification fails a target only on what binds (`documented`, `observed`, `decided`); an `inferred`
statement is a warning. So a label must be honest both ways: a requirement resting only on our own
inference cannot be MUST, and a `documented` requirement must point at the seed text that states it
(a quote found in the seed, or the seed's line numbers), so a reader can check the claim in seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from conformance.core.errors import DataError
from conformance.loader.yamlio import Located, Pointer
from conformance.model.spec import CONFIDENCE

SEED_LINES = re.compile(r"\b(00[0-9]_[0-9a-f]{16}\.txt):([0-9]+)(?:-([0-9]+))?")
"""A pointer at seed lines: `002_f24dd93b81ea83d9.txt:4-21` (or a single line, `...txt:7`)."""
SEED_FILE = re.compile(r"\b00[0-9]_[0-9a-f]{16}\.txt\b")
NEEDS = {"observed": ("providers.md", "providers.md § (third-party code or catalogues)"),
         "decided": ("DESIGN.md", "DESIGN.md § (the decision it rests on)")}
"""What the source of a requirement with this confidence must name."""
_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})


def _plain(text: str) -> str:
    """Text compared with spaces collapsed, typographic quotes straightened and case ignored."""
    return _SPACE.sub(" ", text.translate(_QUOTES)).strip().lower()


@cache
def _seed_lines(path: Path) -> tuple[str, ...] | None:
    try:
        return tuple(path.read_text(encoding="utf-8").splitlines())
    except OSError:
        return None


def check_requirement_confidence(reqs: Located, index: int, item: Mapping[str, Any],
                                 seeds: Path) -> Iterator[DataError]:
    """The confidence rules of specs/CONVENTIONS.md for one requirement."""
    where: Pointer = ("requirements", index)
    confidence = item.get("confidence")
    if confidence not in CONFIDENCE:
        yield reqs.error((*where, "confidence") if confidence else where,
                         f"requirement needs `confidence`: one of {', '.join(CONFIDENCE)}")
        return
    source = str(item.get("source") or "")
    if confidence == "inferred" and item.get("level") == "MUST":
        yield reqs.error((*where, "level"),
                         "a requirement resting only on inferred facts cannot be MUST (SHOULD or MAY)")
    if confidence in NEEDS and NEEDS[confidence][0] not in source:
        yield reqs.error((*where, "source"), f"a {confidence} requirement's source must name {NEEDS[confidence][1]}")
    if confidence == "documented":
        yield from _documented(reqs, where, item, source, seeds)


def _documented(reqs: Located, where: Pointer, item: Mapping[str, Any], source: str,
                seeds: Path) -> Iterator[DataError]:
    """A documented requirement quotes its seed, or points at the seed's lines; both are checked against the seed."""
    quotes = item.get("quote")
    quote_list = [quotes] if isinstance(quotes, str) else list(quotes or ())
    pointers = list(SEED_LINES.finditer(source))
    if not quote_list and not pointers:
        yield reqs.error((*where, "source"), "a documented requirement must quote its seed (`quote:`) or point at "
                                             "its lines (`002_f24dd93b81ea83d9.txt:4-21`)")
        return
    for match in pointers:
        lines = _seed_lines(seeds / match.group(1))
        first, last = int(match.group(2)), int(match.group(3) or match.group(2))
        if lines is not None and not 1 <= first <= last <= len(lines):
            yield reqs.error((*where, "source"), f"{match.group(0)}: {match.group(1)} has lines 1-{len(lines)}")
    named = SEED_FILE.findall(source)
    texts = [_plain("\n".join(lines)) for name in named if (lines := _seed_lines(seeds / name)) is not None]
    if not texts:
        return  # the seeds are not shipped here: the pointer's form was checked, its content cannot be
    for q_index, quote in enumerate(quote_list):
        if not any(_plain(str(quote)) in text for text in texts):
            at = (*where, "quote") if isinstance(quotes, str) else (*where, "quote", q_index)
            yield reqs.error(at, f"quote {str(quote)[:60]!r} is not in {', '.join(named)}")


def check_node_confidence(spec: Located, pointer: Pointer, node: Mapping[str, Any], what: str) -> Iterator[DataError]:
    """An operation or property labelled `decided` names the DESIGN.md decision it rests on."""
    if node.get("x-confidence") == "decided" and "DESIGN.md" not in str(node.get("x-source") or ""):
        yield spec.error((*pointer, "x-source"), f"{what}: a decided x-confidence needs an x-source naming DESIGN.md")
