"""`conformance specs list|check`."""

from __future__ import annotations

import typer
from rich.table import Table

from conformance.cli.output import err, interactive, out
from conformance.core.errors import EXIT_USAGE
from conformance.loader.speccheck import check_all
from conformance.loader.specs import load_all_specs
from conformance.model.spec import API_IDS, CONFIDENCE

app = typer.Typer(help="List and check the OpenAPI specs and requirements of every api.", no_args_is_help=True)


@app.command("list")
def list_operations(api: list[str] = typer.Option(None, "--api", help="Only this api (repeatable).")) -> None:
    """Every operation of every api with method, path, source and confidence, and the totals."""
    chosen = api or list(API_IDS)
    for name in chosen:
        if name not in API_IDS:
            raise typer.BadParameter(f"unknown api {name!r}; known: {', '.join(API_IDS)}", param_hint="--api")
    specs = load_all_specs()
    grand = 0
    for name in chosen:
        spec = specs[name]
        ops = spec.operations
        grand += len(ops)
        by_confidence = {c: sum(1 for o in ops if o.confidence == c) for c in CONFIDENCE}
        summary = ", ".join(f"{n} {c}" for c, n in by_confidence.items() if n)
        if interactive():
            table = Table(title=f"{name}: {spec.title}", title_justify="left")
            for column in ("method", "path", "operationId", "confidence", "source"):
                table.add_column(column, overflow="fold")
            for op in ops:
                method = "WEBHOOK" if op.webhook else op.method.upper()
                table.add_row(method, op.path, op.operation_id, op.confidence, op.source)
            out.print(table)
            out.print(f"{name}: {len(ops)} operations ({summary}), {len(spec.requirements)} requirements\n")
        else:
            for op in ops:
                method = "WEBHOOK" if op.webhook else op.method.upper()
                out.print("\t".join((name, method, op.path, op.operation_id, op.confidence, op.source)))
            out.print(f"# {name}: {len(ops)} operations ({summary}), {len(spec.requirements)} requirements")
    out.print(f"# total: {grand} operations in {len(chosen)} apis")


@app.command("check")
def check() -> None:
    """Validate every spec (OpenAPI 3.1, $refs, examples, provenance) and every requirement."""
    problems = check_all()
    for problem in problems:
        err.print(str(problem), markup=False)
    if problems:
        err.print(f"{len(problems)} problem(s)", markup=False)
        raise typer.Exit(EXIT_USAGE)
    out.print("specs check: all specs and requirements are valid")
