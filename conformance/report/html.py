"""report.json as one self-contained HTML page (no scripts, no external files) a QA lead reads at a glance.

One renderer for every command: a summary table of every api (or plan) first, then the results with
failures first and a filter by outcome and by api (pure CSS radio buttons), each finding said once (step,
field, expected, actual, requirement), then what a certification adds when the report holds it: the
evidence of failures, the warnings apart and the per-requirement table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:75rem;
color:#1d2433;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.meta{color:#5b6475}.verdict{display:inline-block;padding:.2rem .7rem;border-radius:1rem;font-weight:600;margin:0}
.certified{background:#dff3e4;color:#14532d}.not-certified{background:#fde2e2;color:#7f1d1d}
.error{background:#fff1d6;color:#7c4a03}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid #e3e6ec;vertical-align:top}th{background:#f5f7fa;font-weight:600}
.outcome-pass{color:#15803d}.outcome-fail{color:#b91c1c;font-weight:600}.outcome-skip,.outcome-omit{color:#6b7280}
.outcome-error{color:#b45309;font-weight:600}code,pre{font:13px ui-monospace,Menlo,Consolas,monospace}
pre{background:#f5f7fa;padding:.5rem;border-radius:4px;white-space:pre-wrap;margin:.25rem 0}
.req{color:#5b6475;font-size:.85em}table.finding{margin:.25rem 0;font-size:.9em}
table.finding th{width:7rem;background:none;color:#5b6475;font-weight:400;padding:.1rem .4rem}
table.finding td{padding:.1rem .4rem}
.results-block label{margin-right:.8rem;cursor:pointer}.results-block input{margin-right:.25rem}
.filter{color:#5b6475}
.warn{background:#fff8e6}
"""

OUTCOMES = ("fail", "error", "skip", "omit", "pass")
ORDER = {outcome: rank for rank, outcome in enumerate(OUTCOMES)}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", text.lower())


def _outcome(outcome: str) -> str:
    return f'<span class="outcome-{escape(outcome)}">{escape(outcome)}</span>'


def _json(value: Any) -> str:
    return escape(json.dumps(value, ensure_ascii=False))


def _finding(f: Mapping[str, Any], requirements: Sequence[str]) -> str:
    """One finding, once: its message, then step, field, expected, actual and requirement as rows."""
    rows = [("check", f"<code>{escape(str(f['check']))}</code>")]
    if f.get("step"):
        rows.append(("step", f"<code>{escape(str(f['step']))}</code>"))
    if f.get("field"):
        rows.append(("field", f"<code>{escape(str(f['field']))}</code>"))
    if f.get("expected") is not None or f.get("actual") is not None:
        rows += [("expected", f"<code>{_json(f.get('expected'))}</code>"),
                 ("actual", f"<code>{_json(f.get('actual'))}</code>")]
    reqs = f.get("requirements") or requirements
    if reqs:
        rows.append(("requirement", escape(", ".join(reqs))))
    body = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in rows)
    message = str(f["message"]).removeprefix(f"step {f.get('step')}: ")  # the step has its own row
    return f'<div class="f">{escape(message)}<table class="finding">{body}</table></div>'


def _pre(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def _result_row(r: Mapping[str, Any], multi_api: bool) -> str:
    findings = "".join(_finding(f, r["requirements"]) for f in r["findings"])
    shown = "".join(f"<details><summary>evidence: {escape(e['step'])}</summary>{_pre(e['request'])}"
                    f"{_pre(e['response'])}</details>" for e in r.get("evidence", []))
    api = r.get("api", "")
    where = f'<td>{escape(api)}</td>' if multi_api else ""
    return (f'<tr class="o-{escape(r["outcome"])} a-{_slug(api)}"><td><code>{escape(r["id"])}</code><br>'
            f'{escape(r["title"])}<div class=req>{escape(", ".join(r["requirements"]))}</div></td>{where}'
            f'<td class="outcome">{_outcome(r["outcome"])}</td>'
            f"<td>{findings}{shown}{escape(r.get('reason', ''))}</td></tr>")


def _summary_table(report: Mapping[str, Any]) -> str:
    """Every api (or plan) of the run, one line each: verdict, counts, coverage, time; failing lines first."""
    lines = sorted(report.get("apis") or [], key=lambda a: {"not-certified": 0, "error": 1}.get(a["verdict"], 2))
    rows = []
    for a in lines:
        s, cov = a["summary"], a["coverage"]
        rows.append(
            f'<tr class="s-{_slug(a["api"])}"><td><code>{escape(a["api"])}</code></td>'
            f"<td>{escape(a.get('kind', ''))} · {escape(a.get('plan', ''))}</td>"
            f'<td><span class="verdict {escape(a["verdict"])}">{escape(a["verdict"])}</span></td>'
            + "".join(f"<td>{s[o]}</td>" for o in ("pass", "fail", "error", "skip", "omit"))
            + f"<td>{cov['requirements']['covered']}/{cov['requirements']['total']}</td>"
            f"<td>{cov['operations']['exercised']}/{cov['operations']['total']}</td>"
            f"<td>{a.get('duration_ms', 0) / 1000:.1f} s</td></tr>")
    head = "".join(f"<th>{h}</th>" for h in ("api", "what", "verdict", "pass", "fail", "error", "skip", "omit",
                                              "requirements", "operations", "time"))
    return f'<table id="summary" class="summary"><tr>{head}</tr>{"".join(rows)}</table>'


def _filters(apis: Sequence[str]) -> tuple[str, str]:
    """Radio buttons (outcome, api), siblings of the results table, and the CSS that hides its rows."""
    outcome = ('<span class="filter">show:</span> '
               '<input type="radio" name="show" id="only-all" checked><label for="only-all">all</label>'
               '<input type="radio" name="show" id="only-fail"><label for="only-fail">failures only</label>'
               '<input type="radio" name="show" id="only-pass"><label for="only-pass">passes only</label>')
    css = ["#only-fail:checked~table.results tr.o-pass,#only-fail:checked~table.results tr.o-skip,"
           "#only-fail:checked~table.results tr.o-omit{display:none}",
           "#only-pass:checked~table.results tr:not(.o-pass):not(.head){display:none}"]
    api_radios = ""
    if len(apis) > 1:
        api_radios = ('<br><span class="filter">api:</span> <input type="radio" name="api" id="api-all" checked>'
                      '<label for="api-all">all</label>'
                      + "".join(f'<input type="radio" name="api" id="api-{_slug(a)}">'
                                f'<label for="api-{_slug(a)}">{escape(a)}</label>' for a in apis))
        css += [f"#api-{_slug(a)}:checked~table.results tr:not(.a-{_slug(a)}):not(.head){{display:none}}"
                for a in apis]
    return outcome + api_radios, "".join(css)


def _meta(report: Mapping[str, Any]) -> str:
    cov = report["coverage"]
    parts = [f"target {escape(str(report['target']))}", f"plan {escape(str(report.get('plan', '')))}",
             f"requirements covered {cov['requirements']['covered']}/{cov['requirements']['total']}",
             f"operations exercised {cov['operations']['exercised']}/{cov['operations']['total']}"]
    if report.get("started"):
        parts.append(f"{escape(report['started'])} to {escape(str(report.get('finished', '')))}")
    if report.get("suite_version"):
        parts.append(f"conformance {escape(report['suite_version'])}")
    return f"<p class=meta>{' · '.join(parts)}</p>"


def _certification(report: Mapping[str, Any]) -> str:
    parts = []
    if "warnings" in report:
        warnings = "".join(f"<tr class=warn><td><code>{escape(w['result'])}</code></td><td>{escape(w['check'])}"
                           f"</td><td>{escape(str(w['message']))} (confidence {escape(str(w.get('confidence')))})"
                           f"</td></tr>" for w in report["warnings"])
        parts.append(f'<h2 id="warnings">Warnings ({len(report["warnings"])}): departures from what is only '
                     f"inferred{'' if report.get('strict') else ', never failing the run'}</h2>"
                     f"<table><tr><th>check</th><th>finding</th><th>message</th></tr>{warnings}</table>")
    if "requirements" in report:
        rows = "".join(f"<tr class=\"o-{escape(row['outcome'].replace(' ', '-'))}\"><td>{escape(row['id'])}"
                       f"</td><td>{escape(row['outcome'])}</td><td>{escape(', '.join(row['checks']))}</td></tr>"
                       for row in report["requirements"])
        parts.append("<h2>Requirements</h2><table class=requirements><tr><th>requirement</th><th>outcome</th>"
                     f"<th>checks</th></tr>{rows}</table>")
    return "".join(parts)


def render_html(report: Mapping[str, Any], title: str | None = None, notes: Sequence[str] = (),
                sections: Sequence[str] = ()) -> str:
    """The whole page of one report (a single api's or a combined run's); `sections` (HTML, escaped by
    their maker) follow the results, for what only one command reports (a load run's figures)."""
    title = title or f"conformance: {report['kind']} certification of {report['api']}"
    apis = list(dict.fromkeys(r.get("api", report["api"]) for r in report["results"]))
    results = sorted(report["results"], key=lambda r: ORDER.get(r["outcome"], len(ORDER)))
    filters, css = _filters(apis)
    multi = len(apis) > 1
    head = "<th>check</th>" + ("<th>api</th>" if multi else "") + "<th>outcome</th><th>findings</th>"
    rows = "".join(_result_row(r, multi) for r in results)
    verdict = escape(report["verdict"])
    intro = "".join(f"<p class=meta>{escape(note)}</p>" for note in notes)
    body = (f'<p id="verdict" class="verdict {verdict}">{verdict}</p>{_meta(report)}{intro}'
            f"<h2>Summary</h2>{_summary_table(report)}"
            f'<h2>Results</h2><div class="results-block">{filters}'
            f'<table class="results"><tr class="head">{head}</tr>{rows}</table></div>'
            f"{_certification(report)}{''.join(sections)}")
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{STYLE}{css}</style><h1>{escape(title)}</h1>{body}</html>\n")
