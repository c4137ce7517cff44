"""report.json as JUnit XML, the format every CI server shows: one file per run, one testsuite per api (or
plan), one testcase per result; a failure's message is its first finding, said in one line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET


def finding_line(f: Mapping[str, Any]) -> str:
    """A finding in one line: where (step, field), what, expected and actual."""
    where = " ".join(part for part in (f"step {f['step']}" if f.get("step") else "",
                                       f"field {f['field']}" if f.get("field") else "") if part)
    message = str(f["message"]).removeprefix(f"step {f.get('step')}: ")  # the step is said once, in `where`
    line = (f"{where}: " if where else "") + message
    if f.get("expected") is not None or f.get("actual") is not None:
        line += f" (expected {json.dumps(f['expected'], ensure_ascii=False)}, " \
                f"actual {json.dumps(f['actual'], ensure_ascii=False)})"
    return line


def _details(result: Mapping[str, Any]) -> str:
    lines = []
    for f in result["findings"]:
        lines.append(f"[{f['check']}] {finding_line(f)}")
        requirements = f.get("requirements") or result["requirements"]
        if requirements:
            lines.append(f"  requirement: {', '.join(requirements)}")
    return "\n".join(lines)


def _suite(parent: ET.Element, report: Mapping[str, Any], line: Mapping[str, Any],
           results: list[Mapping[str, Any]]) -> None:
    summary = line["summary"]
    suite = ET.SubElement(parent, "testsuite", {
        "name": f"conformance {line.get('kind', report['kind'])} {line['api']} ({line.get('plan', '')})",
        "tests": str(len(results)), "failures": str(summary["fail"]), "errors": str(summary["error"]),
        "skipped": str(summary["skip"] + summary["omit"]),
        "time": f"{sum(r.get('duration_ms', 0) for r in results) / 1000:.3f}",
        "timestamp": str(report.get("started", "")),
    })
    props = ET.SubElement(suite, "properties")
    for name in ("verdict", "target"):
        ET.SubElement(props, "property", {"name": name, "value": str(line.get(name, report.get(name, "")))})
    for result in results:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"{line.get('kind', report['kind'])}.{line['api']}", "name": result["id"],
            "time": f"{result.get('duration_ms', 0) / 1000:.3f}"})
        outcome = result["outcome"]
        first = finding_line(result["findings"][0]) if result["findings"] else ""
        if outcome == "fail":
            ET.SubElement(case, "failure", {"message": first or result.get("reason") or result["title"]}).text = \
                _details(result)
        elif outcome == "error":
            ET.SubElement(case, "error", {"message": result.get("reason") or first or result["title"]}).text = \
                _details(result)
        elif outcome in ("skip", "omit"):
            ET.SubElement(case, "skipped", {"message": result.get("reason") or outcome})
        if result["requirements"]:
            ET.SubElement(case, "system-out").text = "requirements: " + ", ".join(result["requirements"])


def render_junit(report: Mapping[str, Any]) -> bytes:
    """One combined file: a <testsuites> root holding a testsuite per line of the report's summary table."""
    lines = report.get("apis") or [report]
    root = ET.Element("testsuites", {
        "name": f"conformance {report['kind']} {report['api']}", "tests": str(len(report["results"])),
        "failures": str(report["summary"]["fail"]), "errors": str(report["summary"]["error"]),
        "time": f"{report.get('duration_ms', 0) / 1000:.3f}"})
    remaining = list(report["results"])
    for index, line in enumerate(lines):
        count = sum(line["summary"].values())
        if index == len(lines) - 1:
            count = len(remaining)
        mine, remaining = remaining[:count], remaining[count:]
        _suite(root, report, line, mine)
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
