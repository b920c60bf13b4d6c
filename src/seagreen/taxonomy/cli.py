"""``seagreen taxonomy``: the blue industry catalogue (蓝色产业可持续投融资支持目录) and identification."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from seagreen.audit.domain import Actor
from seagreen.kit.commandline import DbOption, JsonOption, console, errors, runtime
from seagreen.taxonomy import service
from seagreen.taxonomy.domain import VersionStatus
from seagreen.taxonomy.loanbook import write_csv, write_xlsx
from seagreen.taxonomy.schemas import RECONSTRUCTION_NOTE_ZH, IdentificationRead

app = typer.Typer(help="The blue industry catalogue (蓝色产业可持续投融资支持目录) and blue identification.")

VersionOption = Annotated[
    str | None, typer.Option("--version", help="Catalogue version (default: the latest).")
]


def _actor() -> Actor:
    return Actor.cli(getpass.getuser())


def _dump(body: object) -> None:
    console.print_json(json.dumps(body, ensure_ascii=False))


@app.command()
def versions(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List the catalogue versions; the latest is the one identifications use."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        rows = service.list_versions(session)
    if as_json:
        _dump([row.model_dump(mode="json") for row in rows])
        return
    table = Table("code", "name", "status", "items", "imported at", "hash", "current")
    for row in rows:
        status = f"[yellow]{row.status}[/]" if row.reconstruction else row.status
        table.add_row(
            row.code,
            row.name,
            status,
            str(row.items),
            row.published_at.isoformat(timespec="seconds"),
            row.content_hash[:12],
            "✓" if row.current else "",
        )
    console.print(table)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Catalogue CSV file.")],
    code: Annotated[str, typer.Option("--code", help="Version code, e.g. weihai-blue-2024.")],
    name: Annotated[str | None, typer.Option("--name", help="Version name (default: the code).")] = None,
    official: Annotated[
        bool, typer.Option("--official", help="The official text (otherwise marked as a reconstruction).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Import a new catalogue version; refuse one that breaks the structure (row-numbered errors)."""
    status = VersionStatus.OFFICIAL if official else VersionStatus.RECONSTRUCTION
    with runtime(db) as rt, rt.transaction() as session:
        version = service.import_file(session, file, code=code, name=name, status=status, actor=_actor())
    console.print(f"imported [bold]{version.code}[/] ({version.items} items, {version.status})")


@app.command()
def show(db: DbOption = None, version: VersionOption = None) -> None:
    """Print the tree of a version."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        found = service.catalogue(session, version)
    if found.is_reconstruction:
        console.print(f"[yellow]{RECONSTRUCTION_NOTE_ZH}[/]")
    table = Table("code", "level 1 / level 2 / level 3", "tier", "GB/T 4754", "2019", title=found.name)
    for item in found.items:
        mapping = item.mapping("2019")
        table.add_row(
            item.code,
            f"{item.level1.name_zh} / {item.level2.name_zh} / {item.name_zh}",
            item.tier.value,
            " ".join(item.industry_codes),
            mapping.text if mapping else "—",
        )
    console.print(table)


@app.command()
def export(
    db: DbOption = None,
    as_json: JsonOption = True,
    version: VersionOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Export a version as JSON (marked if it is a reconstruction)."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        body = service.export(session, version)
    if out is not None:
        out.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
        console.print(f"wrote {out}")
        return
    typer.echo(json.dumps(body, ensure_ascii=False, indent=1))


@app.command()
def classify(
    file: Annotated[
        Path | None, typer.Argument(exists=True, dir_okay=False, help="Loan book (CSV or .xlsx).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Classified file (.csv or .xlsx).")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Identify one text instead of a file.")] = None,
    industry: Annotated[str | None, typer.Option("--industry", help="GB/T 4754 industry code.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    version: VersionOption = None,
) -> None:
    """Identify one text (--text) or classify a loan book FILE into --out, with a summary."""
    if (file is None) == (text is None):
        raise typer.BadParameter("give either a FILE or --text")
    if text is not None:
        with runtime(db) as rt, rt.transaction(read_only=True) as session:
            result = IdentificationRead.of(service.classify_text(session, text, industry, version=version))
        if as_json:
            _dump(result.model_dump(mode="json"))
            return
        console.print(f"[bold]{result.decision}[/] {result.code or ''} — {result.evidence_zh}")
        for candidate in result.candidates:
            console.print(
                f"  {candidate.code} {candidate.level3_zh} ({candidate.tier}) {candidate.score:.2f}"
            )
        return
    assert file is not None
    if out is None:
        raise typer.BadParameter("give --out for the classified file", param_hint="--out")
    with runtime(db) as rt:
        with (
            rt.transaction(read_only=True) as session,
            Progress(
                TextColumn("classifying"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=errors,
            ) as bar,
        ):
            task = bar.add_task("rows", total=None)
            book = service.classify_book(
                session,
                file.read_bytes(),
                file.name,
                version=version,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        with rt.transaction() as session:  # only the storing takes the write lock
            batch = service.store_book(session, book, actor=_actor())
    header, rows = book.header, book.rows
    if out.suffix.lower() in (".xlsx", ".xlsm"):
        out.write_bytes(write_xlsx(header, rows, service.summary_notes(batch)))
    else:
        out.write_bytes(write_csv(header, rows))
    if as_json:
        _dump(batch.model_dump(mode="json", exclude={"errors"}))
        return
    if batch.reconstruction:
        console.print(f"[yellow]{RECONSTRUCTION_NOTE_ZH}[/]")
    table = Table(
        "level 1",
        "blue",
        "blue balance (yuan)",
        "light-blue",
        "light-blue balance (yuan)",
        title=f"batch {batch.id}: {batch.rows} rows, catalogue {batch.catalogue_version}",
    )
    for level1 in batch.summary["by_level1"]:
        table.add_row(
            f"{level1['code']} {level1['name_zh']}",
            str(level1["blue_count"]),
            level1["blue_amount"],
            str(level1["light_blue_count"]),
            level1["light_blue_amount"],
        )
    table.add_row("total", str(batch.blue), batch.blue_amount, str(batch.light_blue), batch.light_blue_amount)
    console.print(table)
    console.print(f"not blue: {batch.not_blue}; rejected rows: {batch.rejected}; written to {out}")
    for error in batch.errors[:10]:
        errors.print(f"row {error['row']}, {error['field']}: {error['reason']}")


@app.command("evaluate")
def evaluate_(
    file: Annotated[
        Path | None,
        typer.Option("--file", exists=True, dir_okay=False, help="Labelled CSV (default: shipped set)."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
    version: VersionOption = None,
    show_wrong: Annotated[
        bool, typer.Option("--wrong", help="List the cases the engine gets wrong.")
    ] = False,
) -> None:
    """Print level-1 top-1 accuracy, level-3 top-3 recall and not-blue precision/recall per split."""
    with runtime(db) as rt, rt.transaction(read_only=True) as session:
        report = service.evaluate_file(session, file, version=version)
    if as_json:
        _dump({split: figures.as_dict() for split, figures in report.by_split.items()})
        return
    table = Table(
        "split",
        "cases",
        "L1 top-1 (≥90%)",
        "L3 top-3 (≥80%)",
        "not-blue precision (≥90%)",
        "not-blue recall (≥90%)",
        title=f"catalogue {report.catalogue_version}, engine {report.engine_version}",
    )

    def cell(pair: tuple[int, int]) -> str:
        return f"{pair[0] / pair[1]:.1%} ({pair[0]}/{pair[1]})" if pair[1] else "—"

    for split, figures in report.by_split.items():
        table.add_row(
            split,
            str(figures.cases),
            cell(figures.level1_top1),
            cell(figures.level3_top3),
            cell(figures.not_blue_precision),
            cell(figures.not_blue_recall),
        )
    console.print(table)
    if show_wrong:
        for case_id, split, text, expected, got in report.wrong:
            console.print(escape(f"{case_id} [{split}] expected {expected}, got {got}: {text}"))
