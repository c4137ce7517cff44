"""Write a report's three files into a folder: report.json, junit.xml, report.html."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.core.errors import UsageError
from conformance.report.html import render_html
from conformance.report.junit import render_junit


def write_report(folder: Path, report: dict[str, Any]) -> Path:
    """Returns the path of report.html."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (folder / "junit.xml").write_bytes(render_junit(report))
        html = folder / "report.html"
        html.write_text(render_html(report), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{folder}: cannot write the report ({exc.strerror or exc})") from None
    return html
