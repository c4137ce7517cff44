"""report.json as JUnit XML, the format every CI server shows: one testcase per result."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET


def render_junit(report: dict[str, Any]) -> bytes:
    summary = report["summary"]
    suite = ET.Element("testsuite", {
        "name": f"conformance {report['kind']} {report['api']}",
        "tests": str(len(report["results"])),
        "failures": str(summary["fail"]),
        "errors": str(summary["error"]),
        "skipped": str(summary["skip"] + summary["omit"]),
        "time": f"{sum(r.get('duration_ms', 0) for r in report['results']) / 1000:.3f}",
    })
    ET.SubElement(ET.SubElement(suite, "properties"), "property",
                  {"name": "verdict", "value": report["verdict"]})
    for result in report["results"]:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"{report['kind']}.{report['api']}", "name": result["id"],
            "time": f"{result.get('duration_ms', 0) / 1000:.3f}"})
        details = "\n".join(
            f"[{f['check']}] {f['message']}" + (f"\n  expected: {json.dumps(f['expected'])}"
                                               f"\n  actual:   {json.dumps(f['actual'])}"
                                               if f["expected"] is not None or f["actual"] is not None else "")
            for f in result["findings"])
        outcome = result["outcome"]
        if outcome == "fail":
            ET.SubElement(case, "failure", {"message": result["title"]}).text = details
        elif outcome == "error":
            ET.SubElement(case, "error", {"message": result.get("reason") or result["title"]}).text = details
        elif outcome in ("skip", "omit"):
            ET.SubElement(case, "skipped", {"message": result.get("reason") or outcome})
        if result["requirements"]:
            ET.SubElement(case, "system-out").text = "requirements: " + ", ".join(result["requirements"])
    ET.indent(suite)
    body: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body
