"""Write a report's three files into a folder: report.json, junit.xml, report.html (the one writer of every
command: scenario run, demo, certify provider, certify pos)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.core.errors import UsageError
from conformance.report.html import render_html
from conformance.report.junit import render_junit


def write_report(folder: Path, report: Mapping[str, Any], *, title: str | None = None,
                 notes: Sequence[str] = (), sections: Sequence[str] = ()) -> Path:
    """Returns the path of report.html. `title`, `notes` (lines under the verdict) and `sections` (HTML after
    the results) are the page's only."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (folder / "junit.xml").write_bytes(render_junit(report))
        html = folder / "report.html"
        html.write_text(render_html(report, title, notes, sections), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{folder}: cannot write the report ({exc.strerror or exc})") from None
    return html
