"""The catalogue's use cases on a real database: loading, publishing, versions in force."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError

from seagreen.carbon_account import service
from seagreen.carbon_account.errors import CatalogueInvalid, NoVersionInForce, VersionConflict
from seagreen.carbon_account.models import BehaviourRow, MethodologyVersionRow
from seagreen.carbon_account.service import catalogue
from seagreen.db.base import metadata
from seagreen.db.registry import load_all_models
from tests.factories.carbon_account import behaviour, catalogue_csv, catalogue_row, write_text

NOW = datetime(2024, 6, 10, 4, 0, tzinfo=UTC)


def test_the_shipped_catalogue_loads_once_and_init_can_run_again(session):
    first = service.load_shipped(session)
    assert "loaded weihai-v1 (29 behaviours)" in first
    second = service.load_shipped(session)
    assert "already there: weihai-v1" in second
    versions = service.list_versions(session)
    assert [(v.code, v.behaviours, v.g_per_point) for v in versions] == [("weihai-v1", 29, 100)]


def test_factors_come_back_as_exact_decimals(session):
    service.load_shipped(session)
    version = service.version_in_force(session, NOW)
    assert version.behaviours["walking_steps"].factor_g_per_unit == Decimal("0.02")
    assert version.behaviours["electricity_saved_kwh"].factor_g_per_unit == Decimal("536.6")
    assert version.content_hash() == service.list_versions(session)[0].content_hash


def test_publishing_a_later_version_changes_what_is_in_force_from_its_date(session, tmp_path):
    service.load_shipped(session)
    path = write_text(
        tmp_path / "v2.csv",
        catalogue_csv([catalogue_row(factor_g_per_unit="120")], comments=["draft v2"]),
    )
    published = service.publish_file(
        session, path, code="weihai-v2", name="v2", effective_from=date(2024, 7, 1), g_per_point=50, now=NOW
    )
    assert (published.code, published.behaviours, published.source_file) == ("weihai-v2", 1, "v2.csv")
    before = service.version_in_force(session, datetime(2024, 6, 30, 15, 59, 59, tzinfo=UTC))
    after = service.version_in_force(session, datetime(2024, 6, 30, 16, 0, tzinfo=UTC))
    assert before.code == "weihai-v1"
    assert (after.code, after.g_per_point) == ("weihai-v2", 50)
    assert after.behaviours["bus_trip"].factor_g_per_unit == Decimal(120)


def test_the_intakes_catalogue_is_built_again_when_a_version_is_published(session, tmp_path):
    from seagreen.carbon_account import repository
    from seagreen.carbon_account.service.intake import load_catalogue

    assert repository.catalogue_signature(session) == ((), None)  # nothing published: still one row
    service.load_shipped(session)
    versions, last_behaviour = repository.catalogue_signature(session)
    (shipped,) = service.list_versions(session)
    assert [content_hash for _, content_hash in versions] == [shipped.content_hash]
    assert last_behaviour == session.scalar(text("SELECT max(id) FROM carbon_behaviours"))
    before = load_catalogue(session)
    assert load_catalogue(session) is before  # the same signature: the catalogue is reused
    path = write_text(tmp_path / "v2.csv", catalogue_csv([catalogue_row(factor_g_per_unit="120")]))
    service.publish_file(
        session, path, code="weihai-v2", name="v2", effective_from=date(2024, 7, 1), g_per_point=50, now=NOW
    )
    after = load_catalogue(session)
    assert [v.code for v in after.methodology.versions] == ["weihai-v1", "weihai-v2"]
    assert len(repository.catalogue_signature(session)[0]) == 2
    assert repository.catalogue_signature(session)[1] > last_behaviour


def test_effective_dates_must_increase_and_lie_in_the_future(session):
    service.load_shipped(session)
    rows = [behaviour()]
    common = {"name": "v", "g_per_point": 100, "source_file": "x.csv", "now": NOW}
    with pytest.raises(CatalogueInvalid, match="after today"):
        service.publish_version(session, rows, code="v-today", effective_from=date(2024, 6, 10), **common)
    service.publish_version(session, rows, code="v-later", effective_from=date(2024, 9, 1), **common)
    with pytest.raises(CatalogueInvalid, match="must be after 2024-09-01"):
        service.publish_version(session, rows, code="v-between", effective_from=date(2024, 8, 1), **common)


def test_a_version_code_is_published_once(session):
    service.load_shipped(session)
    with pytest.raises(VersionConflict):
        service.publish_version(
            session,
            [behaviour()],
            code="weihai-v1",
            name="again",
            effective_from=date(2030, 1, 1),
            g_per_point=100,
            source_file="x.csv",
            now=NOW,
        )


def test_an_invalid_file_is_refused_with_every_row_error(session, tmp_path):
    service.load_shipped(session)
    path = write_text(
        tmp_path / "bad.csv",
        catalogue_csv(
            [catalogue_row(), catalogue_row(code="x", factor_g_per_unit="-1", partner_kinds="airline")]
        ),
    )
    with pytest.raises(CatalogueInvalid) as caught:
        service.publish_file(
            session, path, code="bad-v2", name=None, effective_from=date(2030, 1, 1), g_per_point=100, now=NOW
        )
    found = {(e["row"], e["field"]) for e in caught.value.details["errors"]}
    assert found == {(3, "code"), (3, "factor_g_per_unit"), (3, "partner_kinds")}
    assert "row 3" in caught.value.message
    assert [v.code for v in service.list_versions(session)] == ["weihai-v1"]


def test_a_file_without_the_catalogue_columns_is_refused(session, tmp_path):
    path = write_text(tmp_path / "bad.csv", "code,name_zh\nbus_trip,公交\n")
    with pytest.raises(CatalogueInvalid, match="lacks the columns"):
        service.read_catalogue_file(path)


def test_a_gbk_catalogue_file_is_read(tmp_path):
    path = write_text(tmp_path / "gbk.csv", catalogue_csv([catalogue_row(name_zh="公交出行")]), "gbk")
    (bus,) = service.read_catalogue_file(path)
    assert bus.name_zh == "公交出行"


def test_no_version_before_the_first_one(session):
    service.load_shipped(session)
    with pytest.raises(NoVersionInForce):
        service.version_in_force(session, datetime(2022, 12, 31, 12, tzinfo=UTC))


def test_published_versions_cannot_be_changed_in_the_database(session):
    service.load_shipped(session)
    for statement in (
        update(MethodologyVersionRow).values(g_per_point=1),
        update(BehaviourRow).where(BehaviourRow.code == "bus_trip").values(factor_g_per_unit=Decimal(999)),
        text("DELETE FROM carbon_behaviours"),
    ):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(statement)
    assert service.version_in_force(session, NOW).behaviours["bus_trip"].factor_g_per_unit == Decimal(100)


def test_a_changed_shipped_file_is_a_conflict_not_a_silent_update(session, monkeypatch, tmp_path):
    service.load_shipped(session)
    changed = tmp_path / "weihai-v1.csv"
    original = service.shipped_versions()[0]
    changed.write_text(original.file.read_text(encoding="utf-8").replace(",100,600,", ",101,600,", 1))
    monkeypatch.setattr(
        catalogue,
        "shipped_versions",
        lambda: [service.ShippedVersion(**{**original.__dict__, "file": changed})],
    )
    with pytest.raises(VersionConflict, match="differs"):
        service.load_shipped(session)


def test_models_and_migration_agree(connection):
    load_all_models()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = [
        diff
        for diff in compare_metadata(context, metadata)
        if "carbon_" in repr(diff) and "carbon_account" not in repr(diff)
    ]
    assert differences == []
