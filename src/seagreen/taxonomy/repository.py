"""All SQL of the blue industry catalogue and of classified loan books."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session, defer

from seagreen.taxonomy.domain import (
    CATALOGUE_COLUMNS,
    NATIONAL_EDITIONS,
    Catalogue,
    Group,
    Item,
    NationalMapping,
    Tier,
    VersionStatus,
    split_list,
)
from seagreen.taxonomy.models import TaxonomyBatchRow, TaxonomyItemRow, TaxonomyMappingRow, TaxonomyVersionRow

_versions = cast(Table, TaxonomyVersionRow.__table__)
_items = cast(Table, TaxonomyItemRow.__table__)

IMPORT_LOCK_KEY = 0x5EA6_0100


def lock_importing(session: Session) -> None:
    """Serialise imports on PostgreSQL (SQLite has one writer at a time anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})


def insert_version(
    session: Session, catalogue: Catalogue, *, content_hash: str, source_file: str, published_at_us: int
) -> int:
    version_id = int(
        session.execute(
            insert(_versions).returning(_versions.c.id),
            {
                "code": catalogue.code,
                "name": catalogue.name,
                "status": catalogue.status.value,
                "content_hash": content_hash,
                "source_file": source_file,
                "items": len(catalogue.items),
                "published_at_us": published_at_us,
            },
        ).scalar_one()
    )
    for position, item in enumerate(catalogue.items, start=1):
        row = item.as_row()
        item_id = int(
            session.execute(
                insert(_items).returning(_items.c.id),
                {
                    "version_id": version_id,
                    "position": position,
                    **{key: row[key] for key in _ITEM_COLUMNS},
                },
            ).scalar_one()
        )
        mappings = [{"item_id": item_id, "edition": m.edition, "text": m.text} for m in item.national]
        if mappings:
            session.execute(insert(TaxonomyMappingRow), mappings)
    return version_id


# The catalogue file's columns stored on the item row; the national mappings go to their own table.
_ITEM_COLUMNS = tuple(column for column in CATALOGUE_COLUMNS if not column.startswith("national_"))


def version_rows(session: Session) -> Sequence[TaxonomyVersionRow]:
    """Every version, oldest import first."""
    return list(session.scalars(select(TaxonomyVersionRow).order_by(TaxonomyVersionRow.id)))


def version_row(session: Session, code: str | None) -> TaxonomyVersionRow | None:
    """The version named ``code``, or the latest imported one."""
    query = select(TaxonomyVersionRow)
    if code:
        query = query.where(TaxonomyVersionRow.code == code)
    return session.scalars(query.order_by(TaxonomyVersionRow.id.desc()).limit(1)).first()


def version_by_id(session: Session, version_id: int) -> TaxonomyVersionRow | None:
    return session.get(TaxonomyVersionRow, version_id)


def load_catalogue(session: Session, row: TaxonomyVersionRow) -> Catalogue:
    item_rows = list(
        session.scalars(
            select(TaxonomyItemRow)
            .where(TaxonomyItemRow.version_id == row.id)
            .order_by(TaxonomyItemRow.position)
        )
    )
    mappings: dict[int, list[NationalMapping]] = {}
    for mapping in session.scalars(
        select(TaxonomyMappingRow)
        .join(TaxonomyItemRow, TaxonomyItemRow.id == TaxonomyMappingRow.item_id)
        .where(TaxonomyItemRow.version_id == row.id)
    ):
        mappings.setdefault(mapping.item_id, []).append(NationalMapping(mapping.edition, mapping.text))
    order = {edition: index for index, edition in enumerate(NATIONAL_EDITIONS)}
    items = tuple(
        Item(
            code=item.code,
            level1=Group(item.level1_code, item.level1_zh, item.level1_en),
            level2=Group(item.level2_code, item.level2_zh, item.level2_en),
            name_zh=item.name_zh,
            name_en=item.name_en,
            tier=Tier(item.tier),
            description_zh=item.description_zh,
            national=tuple(sorted(mappings.get(item.id, []), key=lambda m: order.get(m.edition, 99))),
            industry_codes=split_list(item.gbt4754_codes),
            keywords=split_list(item.keywords_zh),
            keywords_extra=split_list(item.keywords_extra_zh),
            qualifiers=split_list(item.qualifiers_zh),
            source=item.source_or_basis,
        )
        for item in item_rows
    )
    return Catalogue(code=row.code, name=row.name, status=VersionStatus(row.status), items=items)


def insert_batch(session: Session, **values: object) -> int:
    table = cast(Table, TaxonomyBatchRow.__table__)
    return int(session.execute(insert(table).returning(table.c.id), values).scalar_one())


def batch(session: Session, batch_id: int) -> TaxonomyBatchRow | None:
    return session.get(TaxonomyBatchRow, batch_id)


def batches(
    session: Session, org_code: str | None, *, all_orgs: bool, limit: int = 20
) -> list[TaxonomyBatchRow]:
    """Recent batches without their files: an organisation's own, or everyone's for an administrator."""
    query = (
        select(TaxonomyBatchRow)
        .options(defer(TaxonomyBatchRow.result_csv_gz))
        .order_by(TaxonomyBatchRow.id.desc())
        .limit(limit)
    )
    if not all_orgs:
        query = query.where(TaxonomyBatchRow.org_code == org_code)
    return list(session.scalars(query))
