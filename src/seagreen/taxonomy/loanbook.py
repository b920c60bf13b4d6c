"""Loan-book files (贷款台账): read a bank's CSV or Excel file, write the classified result.

Columns: ``id``, ``text`` (loan purpose, project or enterprise description), ``industry_code``
(GB/T 4754 of the loan's use) and an optional ``amount`` (balance in yuan); common Chinese
headers are accepted too. Every other column is carried through unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from seagreen.taxonomy.errors import LoanBookInvalid

MAX_ROWS = 200_000
HEADER_ALIASES = {
    "id": ("id", "编号", "序号", "贷款编号", "借据号", "合同号"),
    "text": ("text", "贷款用途", "用途", "项目名称", "项目描述", "描述", "企业描述", "经营范围"),
    "industry_code": ("industry_code", "行业代码", "投向行业", "投向行业代码", "国标行业代码"),
    "amount": ("amount", "金额", "贷款余额", "余额", "贷款金额"),
}
REQUIRED = ("id", "text")


@dataclass(frozen=True)
class LoanBook:
    header: tuple[str, ...]  # the file's own column names, in order
    columns: dict[str, str]  # our name (id, text, …) → the file's column name
    rows: list[tuple[int, dict[str, str]]]  # (row number in the file, values by the file's names)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise LoanBookInvalid("the file is neither UTF-8 nor GB18030 text") from exc


def _columns(header: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for ours, aliases in HEADER_ALIASES.items():
        for name in header:
            if name.strip().lower() in aliases:
                found[ours] = name
                break
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        raise LoanBookInvalid(
            f"the loan book lacks the columns {', '.join(missing)} (found: {', '.join(header) or 'none'})",
            missing=missing,
        )
    return found


def _csv_rows(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration as exc:
        raise LoanBookInvalid("the file is empty") from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        for values in reader:
            if any(value.strip() for value in values):
                yield reader.line_num, values

    return header, rows()


def _xlsx_rows(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise LoanBookInvalid("the file is not a readable Excel workbook (.xlsx)") from exc
    sheet = workbook.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    try:
        header = ["" if value is None else str(value).strip() for value in next(cells)]
    except StopIteration as exc:
        raise LoanBookInvalid("the workbook's first sheet is empty") from exc

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(cells, start=2):
            as_text = [text(value) for value in values]
            if any(value.strip() for value in as_text):
                yield number, as_text

    return header, rows()


def read_loan_book(data: bytes, filename: str) -> LoanBook:
    """Read a CSV (UTF-8 or GB18030) or Excel (.xlsx) loan book; refuse one without ``id``/``text``."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        header, raw = _xlsx_rows(data)
    else:
        header, raw = _csv_rows(_decode(data))
    columns = _columns(header)
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in raw:
        if len(rows) >= MAX_ROWS:
            raise LoanBookInvalid(f"the loan book has more than {MAX_ROWS} rows; split it", max_rows=MAX_ROWS)
        padded = list(values) + [""] * (len(header) - len(values))
        rows.append((number, {name: padded[i] for i, name in enumerate(header) if name}))
    return LoanBook(header=tuple(name for name in header if name), columns=columns, rows=rows)


def write_csv(header: Sequence[str], rows: Sequence[dict[str, str]]) -> bytes:
    """UTF-8 with a BOM, so that Excel on a Chinese Windows opens it correctly."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def read_csv_bytes(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(_decode(data)))
    return list(reader.fieldnames or []), list(reader)


def write_xlsx(
    header: Sequence[str], rows: Sequence[dict[str, str]], notes: Sequence[tuple[str, str]]
) -> bytes:
    """An Excel workbook: the classified rows, and a sheet 说明 with the summary and the version's mark."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("识别结果")
    sheet.append(list(header))
    for row in rows:
        sheet.append([row.get(name, "") for name in header])
    about = workbook.create_sheet("说明")
    for key, value in notes:
        about.append([key, value])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
