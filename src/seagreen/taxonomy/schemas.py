"""Pydantic shapes of the catalogue API: versions, items, identifications and loan-book batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from seagreen.taxonomy.domain import Candidate, Catalogue, Identification, Item

RECONSTRUCTION_NOTE_ZH = "本目录为重构稿（RECONSTRUCTION），不是官方发布文本，仅供参考，待官方文本替换。"
RECONSTRUCTION_NOTE_EN = (
    "This catalogue is a RECONSTRUCTION, not the official text; "
    "for reference until the official text replaces it."
)


class MappingRead(BaseModel):
    edition: str
    code: str
    text: str


class ItemRead(BaseModel):
    code: str
    level1_code: str
    level1_zh: str
    level1_en: str
    level2_code: str
    level2_zh: str
    level2_en: str
    name_zh: str
    name_en: str
    tier: str
    national_green: bool = Field(description="Reportable as a national green loan (blue items only)")
    description_zh: str
    national: list[MappingRead]
    gbt4754_codes: list[str]
    keywords: list[str]
    keywords_extra: list[str]
    qualifiers: list[str]
    source: str

    @classmethod
    def of(cls, item: Item) -> ItemRead:
        return cls(
            code=item.code,
            level1_code=item.level1.code,
            level1_zh=item.level1.name_zh,
            level1_en=item.level1.name_en,
            level2_code=item.level2.code,
            level2_zh=item.level2.name_zh,
            level2_en=item.level2.name_en,
            name_zh=item.name_zh,
            name_en=item.name_en,
            tier=item.tier.value,
            national_green=item.national_green,
            description_zh=item.description_zh,
            national=[MappingRead(edition=m.edition, code=m.code, text=m.text) for m in item.national],
            gbt4754_codes=list(item.industry_codes),
            keywords=list(item.keywords),
            keywords_extra=list(item.keywords_extra),
            qualifiers=list(item.qualifiers),
            source=item.source,
        )


class VersionRead(BaseModel):
    code: str
    name: str
    status: str
    reconstruction: bool
    items: int
    content_hash: str
    source_file: str
    published_at: datetime
    current: bool = False


class CatalogueRead(BaseModel):
    version: str
    name: str
    status: str
    reconstruction: bool
    note_zh: str
    note_en: str
    items: list[ItemRead]

    @classmethod
    def of(cls, catalogue: Catalogue, items: list[Item] | None = None) -> CatalogueRead:
        return cls(
            version=catalogue.code,
            name=catalogue.name,
            status=catalogue.status.value,
            reconstruction=catalogue.is_reconstruction,
            note_zh=RECONSTRUCTION_NOTE_ZH if catalogue.is_reconstruction else "",
            note_en=RECONSTRUCTION_NOTE_EN if catalogue.is_reconstruction else "",
            items=[ItemRead.of(item) for item in (catalogue.items if items is None else items)],
        )


class ClassifyRequest(BaseModel):
    text: str = Field(
        min_length=1, max_length=4000, description="Name, description or loan purpose (Chinese)"
    )
    industry_code: str | None = Field(
        default=None, max_length=8, description="GB/T 4754 code of the loan's use"
    )
    location: str | None = Field(
        default=None, max_length=200, description="Where the project is (kept as given)"
    )
    version: str | None = Field(
        default=None, max_length=40, description="Catalogue version; default the latest"
    )


class CandidateRead(BaseModel):
    code: str
    level1_zh: str
    level2_zh: str
    level3_zh: str
    level3_en: str
    tier: str
    national_green: bool
    score: float
    bm25: float
    keyword_score: float
    code_score: float
    matched_keywords: list[str]
    matched_terms: list[str]
    industry_code_match: str
    qualifier: str
    qualified: bool
    evidence_zh: str

    @classmethod
    def of(cls, candidate: Candidate) -> CandidateRead:
        item = candidate.item
        return cls(
            code=item.code,
            level1_zh=item.level1.name_zh,
            level2_zh=item.level2.name_zh,
            level3_zh=item.name_zh,
            level3_en=item.name_en,
            tier=item.tier.value,
            national_green=candidate.national_green,
            score=candidate.score,
            bm25=candidate.bm25,
            keyword_score=candidate.keyword_score,
            code_score=candidate.code_score,
            matched_keywords=list(candidate.matched_keywords),
            matched_terms=list(candidate.matched_terms),
            industry_code_match=candidate.code_match,
            qualifier=candidate.qualifier,
            qualified=candidate.qualified,
            evidence_zh=candidate.evidence_zh(),
        )


class ExclusionRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    matched: str


class IdentificationRead(BaseModel):
    decision: str
    national_green: bool = Field(
        description="True only for a blue decision; light-blue never counts as green"
    )
    code: str | None
    reason_zh: str
    evidence_zh: str
    candidates: list[CandidateRead]
    exclusions: list[ExclusionRead]
    catalogue_version: str
    catalogue_status: str
    reconstruction: bool
    engine_version: str
    location: str | None = None

    @classmethod
    def of(cls, result: Identification, location: str | None = None) -> IdentificationRead:
        chosen = result.chosen
        return cls(
            decision=result.decision.value,
            national_green=bool(chosen and result.decision.value == "blue" and chosen.national_green),
            code=chosen.item.code if chosen else None,
            reason_zh=result.reason,
            evidence_zh=result.evidence_zh(),
            candidates=[CandidateRead.of(c) for c in result.candidates],
            exclusions=[
                ExclusionRead(code=e.code, name_zh=e.name_zh, name_en=e.name_en, matched=e.matched)
                for e in result.exclusions
            ],
            catalogue_version=result.catalogue_code,
            catalogue_status=result.catalogue_status.value,
            reconstruction=result.catalogue_status.value == "reconstruction",
            engine_version=result.engine_version,
            location=location,
        )


class BatchRead(BaseModel):
    id: int
    catalogue_version: str
    reconstruction: bool
    engine_version: str
    created_at: datetime
    actor_label: str
    org_code: str | None
    source_name: str
    input_hash: str
    rows: int
    blue: int
    light_blue: int
    not_blue: int
    rejected: int
    blue_amount: str
    light_blue_amount: str
    summary: dict[str, Any]
    errors: list[dict[str, Any]] = []
