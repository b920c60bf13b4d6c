"""Catalogue versions, imports and loan-book classification, against the database."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from seagreen.audit.models import AuditEventRow
from seagreen.taxonomy import service
from seagreen.taxonomy.domain import VersionStatus
from seagreen.taxonomy.errors import CatalogueFileInvalid, LoanBookInvalid, VersionConflict
from tests.factories.identity import TEST_ACTOR
from tests.factories.taxonomy import edited_catalogue, loan_book_csv, loan_book_xlsx

pytestmark = pytest.mark.usefixtures("loaded")


def classify(session, data: bytes, name: str):
    book = service.classify_book(session, data, name)
    return service.store_book(session, book, actor=TEST_ACTOR), book.header, book.rows


def audit_actions(session) -> list[str]:
    return list(session.scalars(select(AuditEventRow.action).order_by(AuditEventRow.id)))


def test_loading_the_shipped_catalogue_again_changes_nothing(session):
    assert "already there: weihai-blue-r1" in service.load_shipped(session)
    versions = service.list_versions(session)
    assert [(v.code, v.status, v.items, v.current) for v in versions] == [
        ("weihai-blue-r1", "reconstruction", 85, True)
    ]


def test_an_imported_version_is_kept_beside_the_old_one_and_used_from_then_on(session, tmp_path):
    def rename(rows):
        rows[0]["name_zh"] = "海洋自然保护地建设、管护和运营"

    path = tmp_path / "official.csv"
    path.write_bytes(edited_catalogue(rename))
    version = service.import_file(
        session,
        path,
        code="weihai-blue-2025",
        name="官方 2025",
        status=VersionStatus.OFFICIAL,
        actor=TEST_ACTOR,
    )
    assert version.current and not version.reconstruction
    assert [v.code for v in service.list_versions(session)] == ["weihai-blue-r1", "weihai-blue-2025"]
    result = service.classify_text(session, "海上风电场建设")
    assert result.catalogue_code == "weihai-blue-2025"
    assert service.classify_text(session, "海上风电场建设", version="weihai-blue-r1").catalogue_code == (
        "weihai-blue-r1"
    )
    assert service.catalogue(session, "weihai-blue-r1").item("1.1.1").name_zh == "海洋自然保护地建设和运营"
    assert "taxonomy.version.import" in audit_actions(session)
    with pytest.raises(VersionConflict):
        service.import_file(
            session, path, code="weihai-blue-2025", name=None, status=VersionStatus.OFFICIAL, actor=TEST_ACTOR
        )


def test_an_import_that_breaks_the_structure_is_refused_with_every_row_named(session, tmp_path):
    def break_it(rows):
        rows[3]["national_2019"] = ""
        rows[7]["tier"] = "green"
        return rows[:-1]

    path = tmp_path / "broken.csv"
    path.write_bytes(edited_catalogue(break_it))
    with pytest.raises(CatalogueFileInvalid) as caught:
        service.import_file(
            session, path, code="broken", name=None, status=VersionStatus.OFFICIAL, actor=TEST_ACTOR
        )
    errors = caught.value.details["errors"]
    assert {(e["row"], e["field"]) for e in errors} == {(6, "national_2019"), (10, "tier")}
    assert "row 6, national_2019" in caught.value.message
    assert [v.code for v in service.list_versions(session)] == ["weihai-blue-r1"]


@pytest.mark.parametrize(("data", "name"), [(loan_book_csv(), "book.csv"), (loan_book_xlsx(), "book.xlsx")])
def test_a_loan_book_is_classified_with_its_columns_carried_and_balances_in_fen(session, data, name):
    batch, header, rows = classify(session, data, name)
    assert header[:5] == ["id", "text", "industry_code", "amount", "branch"]
    assert {"decision", "code", "level1_zh", "level2_zh", "level3_zh", "tier", "score", "evidence"} <= set(
        header
    )
    by_id = {row["id"]: row for row in rows}
    assert by_id["L001"]["decision"] == "blue" and by_id["L001"]["code"] == "4.2.1"
    assert by_id["L001"]["branch"] == "环翠支行"
    assert by_id["L001"]["national_green"] == "是"
    assert by_id["L003"]["decision"] == "light-blue" and by_id["L003"]["national_green"] == "否"
    assert by_id["L004"]["decision"] == "not-blue" and "reclamation" in by_id["L004"]["exclusions"]
    assert by_id["L006"]["error"] == "text: empty"
    assert by_id["L007"]["error"].startswith("amount:")
    assert all(row["catalogue_status"].startswith("重构稿") for row in rows)
    assert (batch.rows, batch.blue, batch.light_blue, batch.not_blue, batch.rejected) == (7, 2, 1, 2, 2)
    assert batch.blue_amount == "1500000.50" and batch.light_blue_amount == "80000.00"
    level1 = {row["code"]: row for row in batch.summary["by_level1"]}
    assert level1["4"]["blue_amount"] == "1200000.00"
    assert level1["6"]["blue_amount"] == "300000.50"
    assert level1["1"]["light_blue_amount"] == "80000.00"
    assert [(e["row"], e["field"]) for e in batch.errors] == [(7, "text"), (8, "amount")]
    assert audit_actions(session)[-1] == "taxonomy.book.classify"


def test_a_stored_batch_downloads_as_csv_and_excel_with_the_reconstruction_mark(session):
    batch, _, _ = classify(session, loan_book_csv(), "book.csv")
    content, name, _ = service.batch_file(session, batch.id, fmt="csv", org_code=None, all_orgs=True)
    assert name.endswith(".csv") and "重构稿" in content.decode("utf-8-sig")
    content, name, _ = service.batch_file(session, batch.id, fmt="xlsx", org_code=None, all_orgs=True)
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["识别结果", "说明"]
    notes = {row[0]: row[1] for row in workbook["说明"].iter_rows(values_only=True)}
    assert "RECONSTRUCTION" in notes["版本状态 status"]


def test_another_organisations_batch_is_not_found(session):
    batch, _, _ = classify(session, loan_book_csv(), "book.csv")
    with pytest.raises(Exception, match="no classified loan book"):
        service.get_batch(session, batch.id, org_code="other-bank", all_orgs=False)


def test_a_loan_book_without_a_text_column_is_refused(session):
    with pytest.raises(LoanBookInvalid, match="text"):
        service.classify_book(session, b"id,purpose\n1,x\n", "book.csv")


def test_search_in_chinese_and_english_and_filters(session):
    _, found = service.search(session, "海水淡化")
    assert {item.code for item in found} >= {"6.1.1", "6.1.2"}
    _, found = service.search(session, "offshore wind")
    assert {item.code for item in found} >= {"4.1.1", "4.2.1"}
    _, found = service.search(session, "", tier="light-blue")
    assert len(found) == 13
    _, found = service.search(session, "", industry_code="4630")
    assert [item.code for item in found] == ["6.1.1"]


def test_the_export_is_marked_as_a_reconstruction(session):
    body = service.export(session)
    assert body["reconstruction"] is True and "RECONSTRUCTION" in body["note_en"]
    assert len(body["items"]) == 85
