"""Builders for the blue catalogue's tests: catalogue files (good and broken), loan books, users."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence

from openpyxl import Workbook
from sqlalchemy.orm import Session

from seagreen.taxonomy import service
from seagreen.taxonomy.domain import Catalogue, VersionStatus, parse_catalogue

SHIPPED_FILE = service.SHIPPED_DIR / "weihai-blue-r1.csv"


def shipped_rows() -> list[dict[str, str]]:
    """The shipped reconstruction's rows (the ``#`` notes skipped)."""
    lines = [
        line for line in SHIPPED_FILE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    return list(csv.DictReader(lines))


def catalogue_csv(rows: Sequence[Mapping[str, str]], notes: Iterable[str] = ("# test catalogue",)) -> bytes:
    out = io.StringIO()
    out.writelines(f"{note}\n" for note in notes)
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def edited_catalogue(edit: Callable[[list[dict[str, str]]], list[dict[str, str]] | None]) -> bytes:
    """The shipped file with ``edit`` applied to its rows (in place or returning new rows)."""
    rows = shipped_rows()
    changed = edit(rows)
    return catalogue_csv(changed if changed is not None else rows)


def shipped_catalogue(code: str = "weihai-blue-r1") -> Catalogue:
    rows = [(number, row) for number, row in enumerate(shipped_rows(), start=5)]
    catalogue, errors = parse_catalogue(rows, code=code, name="test", status=VersionStatus.RECONSTRUCTION)
    assert catalogue is not None, errors
    return catalogue


def load_catalogue(session: Session) -> None:
    service.load_shipped(session)
    session.commit()


BOOK_HEADER = ["id", "text", "industry_code", "amount", "branch"]
BOOK_ROWS = [
    ["L001", "华能山东半岛北海上风电场项目，购置风机", "4415", "1,200,000.00", "环翠支行"],
    ["L002", "日产5万吨海水淡化厂建设，采用反渗透工艺", "4630", "300000.5", "高区支行"],
    ["L003", "桑沟湾海带与牡蛎多营养层次综合养殖", "0411", "80000", "荣成支行"],
    ["L004", "围填海造地工程，新增建设用地800亩", "4839", "5000000", "环翠支行"],
    ["L005", "海鲜酒楼装修改造及经营周转", "6110", "20000", "乳山支行"],
    ["L006", "", "0411", "100", "乳山支行"],
    ["L007", "深水抗风浪网箱和桁架网箱购置，发展深远海养殖", "0411", "12.345", "石岛支行"],
]


def loan_book_csv(rows: Sequence[Sequence[str]] = BOOK_ROWS, header: Sequence[str] = BOOK_HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def loan_book_xlsx(rows: Sequence[Sequence[str]] = BOOK_ROWS, header: Sequence[str] = BOOK_HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
