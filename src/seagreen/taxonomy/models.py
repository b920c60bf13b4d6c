"""Tables of the blue industry catalogue and of loan-book classifications.

Catalogue versions, their items and national mappings are append-only: a version never changes,
a correction is a new version. A classified loan book (``taxonomy_batches``) keeps the version
and engine it used, its summary and the classified file itself.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from seagreen.db.base import Base, BigIntPK


class TaxonomyVersionRow(Base):
    """A version of the catalogue (目录版本): the shipped reconstruction or an imported text."""

    __tablename__ = "taxonomy_versions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    content_hash: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(200))
    items: Mapped[int] = mapped_column(Integer)
    published_at_us: Mapped[int] = mapped_column(BigInteger)


class TaxonomyItemRow(Base):
    """A level-3 item of one version, with its level-1 and level-2 parents."""

    __tablename__ = "taxonomy_items"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("taxonomy_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(12))
    level1_code: Mapped[str] = mapped_column(String(4))
    level1_zh: Mapped[str] = mapped_column(String(100))
    level1_en: Mapped[str] = mapped_column(String(200))
    level2_code: Mapped[str] = mapped_column(String(8))
    level2_zh: Mapped[str] = mapped_column(String(100))
    level2_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(300))
    tier: Mapped[str] = mapped_column(String(12))
    description_zh: Mapped[str] = mapped_column(Text)
    gbt4754_codes: Mapped[str] = mapped_column(String(200))
    keywords_zh: Mapped[str] = mapped_column(Text)
    keywords_extra_zh: Mapped[str] = mapped_column(Text)
    qualifiers_zh: Mapped[str] = mapped_column(Text)
    source_or_basis: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("version_id", "code"),)


class TaxonomyMappingRow(Base):
    """A level-3 item's mapping to one edition of a national green catalogue (2019, 2021, …)."""

    __tablename__ = "taxonomy_national_mappings"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("taxonomy_items.id"), index=True)
    edition: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(300))

    __table_args__ = (UniqueConstraint("item_id", "edition"),)


class TaxonomyBatchRow(Base):
    """A classified loan book (贷款台账识别): who, which version and engine, counts, balances in fen,
    the summary by level-1 item (JSON) and the classified file (gzip CSV)."""

    __tablename__ = "taxonomy_batches"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("taxonomy_versions.id"), index=True)
    engine_version: Mapped[str] = mapped_column(String(60))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    actor_label: Mapped[str] = mapped_column(String(200))
    org_code: Mapped[str | None] = mapped_column(String(64), index=True)
    source_name: Mapped[str] = mapped_column(String(200))
    input_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    blue: Mapped[int] = mapped_column(Integer)
    light_blue: Mapped[int] = mapped_column(Integer)
    not_blue: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    blue_fen: Mapped[int] = mapped_column(BigInteger)
    light_blue_fen: Mapped[int] = mapped_column(BigInteger)
    summary_json: Mapped[str] = mapped_column(Text)
    result_csv_gz: Mapped[bytes] = mapped_column(LargeBinary)
