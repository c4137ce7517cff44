"""report.json as one self-contained HTML page (no scripts, no external files) a person can read."""

from __future__ import annotations

import json
from html import escape
from typing import Any

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:70rem;
color:#1d2433;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.meta{color:#5b6475}.verdict{display:inline-block;padding:.2rem .7rem;border-radius:1rem;font-weight:600}
.certified{background:#dff3e4;color:#14532d}.not-certified{background:#fde2e2;color:#7f1d1d}
.error{background:#fff1d6;color:#7c4a03}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid #e3e6ec;vertical-align:top}th{background:#f5f7fa;font-weight:600}
.pass{color:#15803d}.fail{color:#b91c1c;font-weight:600}.skip,.omit{color:#6b7280}
.error-o{color:#b45309;font-weight:600}code,pre{font:13px ui-monospace,Menlo,Consolas,monospace}
pre{background:#f5f7fa;padding:.5rem;border-radius:4px;white-space:pre-wrap;margin:.25rem 0}
.req{color:#5b6475;font-size:.85em}.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #e3e6ec;border-radius:6px;padding:.6rem 1rem;min-width:9rem}
.card b{display:block;font-size:1.4rem}
"""


def _outcome(outcome: str) -> str:
    css = "error-o" if outcome == "error" else outcome
    return f'<span class="{css}">{escape(outcome)}</span>'


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return ""
    parts = []
    for f in findings:
        where = f" at step <code>{escape(str(f['step']))}</code>" if f.get("step") else ""
        field = f" field <code>{escape(str(f['field']))}</code>" if f.get("field") else ""
        diff = ""
        if f.get("expected") is not None or f.get("actual") is not None:
            diff = (f"<pre>expected: {escape(json.dumps(f['expected'], ensure_ascii=False))}\n"
                    f"actual:   {escape(json.dumps(f['actual'], ensure_ascii=False))}</pre>")
        parts.append(f"<div><code>{escape(f['check'])}</code>{where}{field}: {escape(f['message'])}{diff}</div>")
    return "".join(parts)


def render_section(report: dict[str, Any]) -> str:
    """One certification's summary and results, as an HTML fragment (the demo index stacks several)."""
    summary = report["summary"]
    cov = report["coverage"]
    cards = "".join(f'<div class="card">{escape(k)}<b>{v}</b></div>' for k, v in summary.items())
    rows = "".join(
        f"<tr><td><code>{escape(r['id'])}</code><br>{escape(r['title'])}"
        f"<div class=req>{escape(', '.join(r['requirements']))}</div></td>"
        f"<td>{_outcome(r['outcome'])}</td><td>{_findings(r['findings'])}{escape(r.get('reason', ''))}</td></tr>"
        for r in report["results"])
    return (
        f"<h2>{escape(report['kind'])} · {escape(report['api'])} "
        f"<span class=\"verdict {escape(report['verdict'])}\">{escape(report['verdict'])}</span></h2>"
        f"<p class=meta>target {escape(report['target'])} · plan {escape(report.get('plan', ''))} · "
        f"requirements covered {cov['requirements']['covered']}/{cov['requirements']['total']} · "
        f"operations exercised {cov['operations']['exercised']}/{cov['operations']['total']}</p>"
        f'<div class="cards">{cards}</div>'
        f"<table><tr><th>result</th><th>outcome</th><th>findings</th></tr>{rows}</table>")


def render_page(title: str, sections: list[str], intro: str = "") -> str:
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{STYLE}</style><h1>{escape(title)}</h1>{intro}{''.join(sections)}</html>\n")


def render_html(report: dict[str, Any]) -> str:
    title = f"conformance: {report['kind']} certification of {report['api']}"
    return render_page(title, [render_section(report)])
