"""Loan books (贷款台账): classify in memory under a read transaction, then store the result, its
summary and an audit record in a short write transaction; read and download stored results.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from seagreen.audit import service as audit
from seagreen.audit.domain import Actor
from seagreen.kit.clock import from_micros, to_micros, utcnow
from seagreen.taxonomy import repository
from seagreen.taxonomy.domain import (
    ENGINE_VERSION,
    BookSummary,
    Catalogue,
    Decision,
    Identification,
    VersionStatus,
    format_fen,
    parse_amount_fen,
)
from seagreen.taxonomy.errors import (
    BatchNotFound,
    VersionNotFound,
)
from seagreen.taxonomy.loanbook import read_csv_bytes, read_loan_book, write_csv, write_xlsx
from seagreen.taxonomy.models import TaxonomyBatchRow
from seagreen.taxonomy.schemas import (
    RECONSTRUCTION_NOTE_EN,
    RECONSTRUCTION_NOTE_ZH,
    BatchRead,
)
from seagreen.taxonomy.service.catalogue import (
    MAX_TEXT,
    RECONSTRUCTION_MARK_ZH,
    catalogue,
    engine_for,
)

OUTPUT_COLUMNS = (
    "decision",
    "code",
    "level1_zh",
    "level2_zh",
    "level3_zh",
    "tier",
    "score",
    "evidence",
    "national_green",
    "national_2019",
    "exclusions",
    "candidates",
    "catalogue_version",
    "catalogue_status",
    "error",
)


Progress = Callable[[int, int], None]


def _result_columns(result: Identification) -> dict[str, str]:
    chosen = result.chosen
    top = result.top
    shown = chosen or top
    blue = result.decision is Decision.BLUE
    mapping = chosen.item.mapping("2019") if chosen and blue else None
    return {
        "decision": result.decision.value,
        "code": chosen.item.code if chosen else "",
        "level1_zh": chosen.item.level1.name_zh if chosen else "",
        "level2_zh": chosen.item.level2.name_zh if chosen else "",
        "level3_zh": chosen.item.name_zh if chosen else "",
        "tier": chosen.item.tier.value if chosen else "",
        "score": f"{shown.score:.2f}" if shown else "0.00",
        "evidence": result.evidence_zh(),
        "national_green": "是" if blue and chosen and chosen.national_green else "否",
        "national_2019": mapping.text if mapping else "",
        "exclusions": ";".join(e.code for e in result.exclusions),
        "candidates": ";".join(f"{c.item.code}:{c.score:.2f}" for c in result.candidates[:3]),
    }


@dataclass
class ClassifiedBook:
    """A loan book classified in memory, not yet stored (see :func:`store_book`)."""

    catalogue: Catalogue
    filename: str
    input_hash: str
    header: list[str]
    rows: list[dict[str, str]]
    summary: BookSummary
    errors: list[dict[str, Any]]


def classify_book(
    session: Session,
    data: bytes,
    filename: str,
    *,
    version: str | None = None,
    progress: Progress | None = None,
) -> ClassifiedBook:
    """Classify every row of a loan book in memory; only reads the catalogue, so a caller can do
    it in a read-only transaction and store the result in a short write transaction afterwards.

    Rows with no text or a bad amount are kept in the output with their reason in ``error``
    and counted as rejected.
    """
    book = read_loan_book(data, filename)
    found = catalogue(session, version)
    engine = engine_for(found)
    columns = book.columns
    header = list(book.header) + [c for c in OUTPUT_COLUMNS if c not in book.header]
    summary = BookSummary()
    errors: list[dict[str, Any]] = []
    out_rows: list[dict[str, str]] = []
    cache: dict[tuple[str, str], Identification] = {}
    mark = RECONSTRUCTION_MARK_ZH if found.is_reconstruction else VersionStatus.OFFICIAL.value
    total = len(book.rows)
    for done, (number, values) in enumerate(book.rows, start=1):
        row = dict(values)
        row.update({"catalogue_version": found.code, "catalogue_status": mark, "error": ""})
        text = (values.get(columns["text"]) or "").strip()
        industry = (values.get(columns["industry_code"], "") if "industry_code" in columns else "").strip()
        problem = ""
        amount_fen: int | None = None
        if not text:
            problem = "text: empty"
        elif len(text) > MAX_TEXT:
            problem = f"text: longer than {MAX_TEXT} characters"
        if "amount" in columns and not problem:
            try:
                amount_fen = parse_amount_fen(values.get(columns["amount"]))
            except ValueError as exc:
                problem = f"amount: {exc}"
        if problem:
            summary.rejected += 1
            field_name, reason = problem.split(": ", 1)
            errors.append({"row": number, "field": field_name, "reason": reason})
            row.update(
                {name: "" for name in OUTPUT_COLUMNS if name not in ("catalogue_version", "catalogue_status")}
            )
            row["error"] = problem
        else:
            key = (text, industry)
            result = cache.get(key)
            if result is None:
                result = cache[key] = engine.classify(text, industry or None)
            summary.add(result, amount_fen)
            row.update(_result_columns(result))
        out_rows.append(row)
        if progress is not None and (done % 500 == 0 or done == total):
            progress(done, total)
    return ClassifiedBook(
        catalogue=found,
        filename=filename,
        input_hash=hashlib.sha256(data).hexdigest(),
        header=header,
        rows=out_rows,
        summary=summary,
        errors=errors,
    )


def store_book(
    session: Session, book: ClassifiedBook, *, actor: Actor, now: datetime | None = None
) -> BatchRead:
    """Keep a classified loan book (summary, version, engine, the file) and record it in the audit log."""
    moment = now or utcnow()
    found = book.catalogue
    version_row = repository.version_row(session, found.code)
    if version_row is None:
        raise VersionNotFound(f"no catalogue version {found.code!r}")
    summary = book.summary
    batch_id = repository.insert_batch(
        session,
        version_id=version_row.id,
        engine_version=ENGINE_VERSION,
        created_at_us=to_micros(moment),
        actor_label=actor.label[:200],
        org_code=actor.org_code,
        source_name=book.filename[:200],
        input_hash=book.input_hash,
        rows=summary.rows + summary.rejected,
        blue=summary.blue,
        light_blue=summary.light_blue,
        not_blue=summary.not_blue,
        rejected=summary.rejected,
        blue_fen=summary.blue_fen,
        light_blue_fen=summary.light_blue_fen,
        summary_json=json.dumps(
            {"summary": summary.as_dict(), "errors": book.errors[:1000]}, ensure_ascii=False
        ),
        result_csv_gz=gzip.compress(write_csv(book.header, book.rows), compresslevel=5),
    )
    audit.record(
        session,
        actor,
        "taxonomy.book.classify",
        "taxonomy_batch",
        batch_id,
        details={
            "catalogue_version": found.code,
            "engine_version": ENGINE_VERSION,
            "source_name": book.filename[:200],
            "input_hash": book.input_hash,
            "rows": summary.rows + summary.rejected,
            "blue": summary.blue,
            "light_blue": summary.light_blue,
            "not_blue": summary.not_blue,
            "rejected": summary.rejected,
        },
        now=moment,
    )
    session.flush()
    batch = repository.batch(session, batch_id)
    assert batch is not None
    return _batch_read(batch, found)


def _batch_read(row: TaxonomyBatchRow, found: Catalogue) -> BatchRead:
    body = json.loads(row.summary_json)
    return BatchRead(
        id=row.id,
        catalogue_version=found.code,
        reconstruction=found.is_reconstruction,
        engine_version=row.engine_version,
        created_at=from_micros(int(row.created_at_us)),
        actor_label=row.actor_label,
        org_code=row.org_code,
        source_name=row.source_name,
        input_hash=row.input_hash,
        rows=row.rows,
        blue=row.blue,
        light_blue=row.light_blue,
        not_blue=row.not_blue,
        rejected=row.rejected,
        blue_amount=format_fen(int(row.blue_fen)),
        light_blue_amount=format_fen(int(row.light_blue_fen)),
        summary=body["summary"],
        errors=body["errors"],
    )


def _visible_batch(session: Session, batch_id: int, org_code: str | None, all_orgs: bool) -> TaxonomyBatchRow:
    row = repository.batch(session, batch_id)
    if row is None or (not all_orgs and row.org_code != org_code):
        raise BatchNotFound(f"no classified loan book {batch_id}", batch_id=batch_id)
    return row


def _catalogue_of(session: Session, row: TaxonomyBatchRow) -> Catalogue:
    version = repository.version_by_id(session, row.version_id)
    assert version is not None
    return catalogue(session, version.code)


def get_batch(session: Session, batch_id: int, *, org_code: str | None, all_orgs: bool) -> BatchRead:
    row = _visible_batch(session, batch_id, org_code, all_orgs)
    return _batch_read(row, _catalogue_of(session, row))


def recent_batches(session: Session, *, org_code: str | None, all_orgs: bool) -> list[BatchRead]:
    rows = repository.batches(session, org_code, all_orgs=all_orgs)
    return [_batch_read(row, _catalogue_of(session, row)) for row in rows]


def batch_rows(
    session: Session, batch_id: int, *, org_code: str | None, all_orgs: bool
) -> tuple[BatchRead, list[str], list[dict[str, str]]]:
    row = _visible_batch(session, batch_id, org_code, all_orgs)
    header, rows = read_csv_bytes(gzip.decompress(row.result_csv_gz))
    return _batch_read(row, _catalogue_of(session, row)), header, rows


def batch_file(
    session: Session, batch_id: int, *, fmt: str, org_code: str | None, all_orgs: bool
) -> tuple[bytes, str, str]:
    """The classified loan book as CSV or Excel: (content, file name, media type)."""
    row = _visible_batch(session, batch_id, org_code, all_orgs)
    stem = f"blue-classified-{batch_id}"
    if fmt == "csv":
        return gzip.decompress(row.result_csv_gz), f"{stem}.csv", "text/csv; charset=utf-8"
    batch, header, rows = batch_rows(session, batch_id, org_code=org_code, all_orgs=all_orgs)
    return (
        write_xlsx(header, rows, summary_notes(batch)),
        f"{stem}.xlsx",
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )


def summary_notes(batch: BatchRead) -> list[tuple[str, str]]:
    """The 说明 sheet of an Excel export: version, its mark, and balances by level-1 item."""
    notes = [
        ("目录版本 catalogue version", batch.catalogue_version),
        ("版本状态 status", RECONSTRUCTION_MARK_ZH if batch.reconstruction else "official"),
    ]
    if batch.reconstruction:
        notes += [("说明", RECONSTRUCTION_NOTE_ZH), ("note", RECONSTRUCTION_NOTE_EN)]
    notes += [
        ("识别引擎 engine", batch.engine_version),
        ("行数 rows", str(batch.rows)),
        ("蓝色 blue", f"{batch.blue} 笔，余额 {batch.blue_amount} 元"),
        (
            "浅蓝 light-blue",
            f"{batch.light_blue} 笔，余额 {batch.light_blue_amount} 元（不计入绿色贷款统计）",
        ),
        ("非蓝 not blue", str(batch.not_blue)),
        ("拒收 rejected", str(batch.rejected)),
    ]
    for level1 in batch.summary.get("by_level1", []):
        notes.append(
            (
                f"{level1['code']} {level1['name_zh']}",
                f"蓝色 {level1['blue_count']} 笔 {level1['blue_amount']} 元；"
                f"浅蓝 {level1['light_blue_count']} 笔 {level1['light_blue_amount']} 元",
            )
        )
    return notes
