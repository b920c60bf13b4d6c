"""Pydantic shapes of the recognition API: indicator sets, rounds, applications and their scores,
reviews, recognitions, annual reports, appeals, the public list and the scheduled job's report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from seagreen.branches.domain import IndicatorSet, Score

PROPOSAL_NOTE_ZH = "本指标体系为建议稿（估计值），不是威海官方发布的指标、权重和合格线，待官方文本替换。"
PROPOSAL_NOTE_EN = (
    "This indicator set is a PROPOSAL (estimates), not Weihai's published indicators, weights and "
    "pass mark; it will be replaced by the official text."
)

FormValues = dict[str, str | list[str]]


# ---- indicator sets ------------------------------------------------------------------------------


class OptionRead(BaseModel):
    key: str
    zh: str
    en: str


class FieldRead(BaseModel):
    key: str
    kind: str
    group: str
    zh: str
    en: str
    options: list[OptionRead] = []


class IndicatorRead(BaseModel):
    code: str
    zh: str
    en: str
    weight: int
    gate: bool
    basis: str
    rule: dict[str, Any]


class IndicatorSetRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    status: str
    proposal: bool = Field(description="True while the set is a proposal (estimates), not an official text")
    note_zh: str
    note_en: str
    pass_mark: int
    pass_mark_basis: str
    max_points: int
    source: str
    content_hash: str
    groups: list[OptionRead]
    fields: list[FieldRead]
    indicators: list[IndicatorRead]

    @classmethod
    def of(cls, found: IndicatorSet) -> IndicatorSetRead:
        body = found.canonical()
        return cls(
            code=found.code,
            name_zh=found.name_zh,
            name_en=found.name_en,
            status=found.status.value,
            proposal=found.is_proposal,
            note_zh=PROPOSAL_NOTE_ZH if found.is_proposal else "",
            note_en=PROPOSAL_NOTE_EN if found.is_proposal else "",
            pass_mark=found.pass_mark,
            pass_mark_basis=found.pass_mark_basis,
            max_points=found.max_points,
            source=found.source,
            content_hash=found.content_hash(),
            groups=[OptionRead(key=g.key, zh=g.zh, en=g.en) for g in found.groups],
            fields=[FieldRead.model_validate(f) for f in body["field"]],
            indicators=[IndicatorRead.model_validate(i) for i in body["indicator"]],
        )


# ---- rounds ------------------------------------------------------------------------------------


class RoundCreate(BaseModel):
    code: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{1,39}$", description="e.g. 2026-1")
    title_zh: str = Field(min_length=2, max_length=200)
    title_en: str = Field(default="", max_length=200)
    deadline: date = Field(description="Last local day (Asia/Shanghai) on which applications are accepted")
    indicator_set: str | None = Field(default=None, description="Indicator set code; default the latest")


class RoundRead(BaseModel):
    code: str
    title_zh: str
    title_en: str
    indicator_set: str
    indicator_set_proposal: bool
    authorities: list[str]
    status: str
    accepting: bool = Field(description="Open and before its deadline")
    opened_at: datetime
    deadline: date
    deadline_at: datetime = Field(description="The first instant after the deadline day")
    closed_at: datetime | None
    opened_by: str


# ---- applications ---------------------------------------------------------------------------------


class ApplicationDraft(BaseModel):
    """The one form: contact, a narrative of the branch's green-finance work, the indicator set's figures."""

    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=200)
    narrative: str = Field(default="", max_length=20_000)
    values: FormValues = Field(default_factory=dict, description="Field key → value as typed")


class ApplicationCreate(ApplicationDraft):
    round: str = Field(max_length=40, description="Round code")
    branch: str = Field(max_length=64, description="The branch's organisation code")


class Problem(BaseModel):
    field: str
    reason: str
    code: str = Field(default="invalid", description="What kind of problem (pages show it in words)")


class CheckRead(BaseModel):
    subject: str
    relation: str
    met: bool


class IndicatorResultRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    weight: int
    gate: bool
    met: bool
    points: int
    disputed: bool
    checks: list[CheckRead]


class ScoreRead(BaseModel):
    """A score and its provenance: the set (code, content hash), the inputs' hash, every check."""

    indicator_set: str
    set_hash: str
    inputs_hash: str
    points: int
    max_points: int
    pass_mark: int
    gates_met: bool
    passed: bool
    disputed: list[str]
    results: list[IndicatorResultRead]

    @classmethod
    def of(cls, score: Score, indicator_set: IndicatorSet) -> ScoreRead:
        results = []
        for r in score.results:
            indicator = indicator_set.indicator(r.code)
            results.append(
                IndicatorResultRead(
                    code=r.code,
                    name_zh=indicator.zh if indicator else r.code,
                    name_en=indicator.en if indicator else r.code,
                    weight=r.weight,
                    gate=r.gate,
                    met=r.met,
                    points=r.points,
                    disputed=r.disputed,
                    checks=[CheckRead(subject=c.subject, relation=c.relation, met=c.met) for c in r.checks],
                )
            )
        return cls(
            indicator_set=score.indicator_set,
            set_hash=score.set_hash,
            inputs_hash=score.inputs_hash,
            points=score.points,
            max_points=score.max_points,
            pass_mark=score.pass_mark,
            gates_met=score.gates_met,
            passed=score.passed,
            disputed=list(score.disputed),
            results=results,
        )


class DocumentRead(BaseModel):
    id: int
    attached_to: str
    attached_id: int
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str


class ReviewCreate(BaseModel):
    decision: Literal["approve", "reject", "request_more"]
    reason: str = Field(min_length=2, max_length=4000, description="Why: shown to the bank and audited")
    disputed: list[str] = Field(
        default_factory=list,
        description="Indicators the materials do not bear out (they score 0 on this sheet)",
    )
    more_deadline: date | None = Field(default=None, description="For request_more: the last local day")


class ReviewRead(BaseModel):
    authority: str
    decision: str
    reason: str
    disputed: list[str]
    points: int
    more_deadline_at: datetime | None
    decided_at: datetime
    actor_label: str
    submission: int = Field(description="Which submission (1, 2, …) the review is of")


class SubmissionRead(BaseModel):
    seq: int
    submitted_at: datetime
    actor_label: str
    content_hash: str
    points: int
    passed: bool
    documents: list[int]


class ApplicationRead(BaseModel):
    id: int
    round: str
    indicator_set: str
    bank: str
    bank_name: str
    bank_name_en: str
    branch: str
    branch_name_zh: str
    branch_name_en: str
    status: str
    contact_name: str
    contact_phone: str
    contact_email: str
    narrative: str
    values: FormValues
    problems: list[Problem] = Field(description="What must be fixed before the form can be submitted")
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    more_deadline_at: datetime | None
    decided_at: datetime | None
    score: ScoreRead | None = Field(description="The score of the submission under review (or last decided)")
    draft_score: ScoreRead | None = Field(description="What the current form would score, if it is complete")
    submissions: list[SubmissionRead]
    reviews: list[ReviewRead]
    pending_authorities: list[str]
    authorities: list[str]
    documents: list[DocumentRead]
    recognition: str | None = Field(description="The recognition number, once recognised")


class ApplicationSummary(BaseModel):
    id: int
    round: str
    bank: str
    branch: str
    branch_name_zh: str
    branch_name_en: str
    status: str
    points: int | None
    passed: bool | None
    updated_at: datetime
    more_deadline_at: datetime | None
    your_decision: str | None = Field(default=None, description="For an authority: its latest decision")


class SheetColumn(BaseModel):
    """One column of the side-by-side scores: the bank's computed score or one authority's sheet."""

    key: str
    label_zh: str
    label_en: str
    decision: str | None
    reason: str
    points: int
    passed: bool
    met: dict[str, bool]
    disputed: list[str]


class ScoreSheet(BaseModel):
    application: int
    submission: int
    indicator_set: str
    pass_mark: int
    max_points: int
    indicators: list[IndicatorResultRead]
    columns: list[SheetColumn]


# ---- recognitions ------------------------------------------------------------------------------


class ReportCreate(BaseModel):
    year: int = Field(ge=2000, le=2200, description="The operations year reported on (上一年度)")
    narrative: str = Field(min_length=2, max_length=20_000)
    values: FormValues = Field(default_factory=dict)


class ReportDecision(BaseModel):
    decision: Literal["pass", "fail"]
    reason: str = Field(min_length=2, max_length=4000)


class RevokeRequest(BaseModel):
    reason: str = Field(min_length=2, max_length=4000)


class AppealCreate(BaseModel):
    grounds: str = Field(min_length=2, max_length=20_000)


class FindingCreate(BaseModel):
    finding: Literal["keep", "confirm"]
    reason: str = Field(min_length=2, max_length=4000)


class ReportRead(BaseModel):
    year: int
    status: str
    due_at: datetime
    late: bool
    narrative: str
    values: FormValues
    score: ScoreRead
    content_hash: str
    submitted_at: datetime
    submitted_by: str
    decided_at: datetime | None
    decided_by: str | None
    decided_by_org: str | None
    reason: str
    documents: list[DocumentRead]


class FindingRead(BaseModel):
    authority: str
    finding: str
    reason: str
    decided_at: datetime
    actor_label: str


class AppealRead(BaseModel):
    id: int
    status: str
    grounds: str
    filed_at: datetime
    filed_by: str
    decided_at: datetime | None
    findings: list[FindingRead]
    documents: list[DocumentRead]


class RecognitionRead(BaseModel):
    number: str
    application: int
    bank: str
    bank_name: str
    branch: str
    branch_name_zh: str
    branch_name_en: str
    status: str
    on_public_list: bool
    recognised_at: datetime
    status_changed_at: datetime
    appeal_until: datetime | None
    authorities: list[str]
    lead_authority: str
    indicator_set: str
    certificate_sha256: str | None
    next_report_year: int
    next_report_due_at: datetime
    missing_reports: list[int]
    reports: list[ReportRead]
    appeals: list[AppealRead]


class PublicEntry(BaseModel):
    number: str
    branch_name_zh: str
    branch_name_en: str
    bank_name_zh: str
    bank_name_en: str
    status: str
    recognised_on: date
    status_changed_on: date
    certificate_url: str | None
    certificate_sha256: str | None


class PublicList(BaseModel):
    recognised: list[PublicEntry]
    withdrawn: list[PublicEntry] = Field(description="Revoked and withdrawn (摘牌) branches, for the record")


class NoticeRead(BaseModel):
    id: int
    kind: str
    recipient: str
    subject: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str


class TickReport(BaseModel):
    """What one run of the scheduled job did (all counts)."""

    now: datetime
    rounds_closed: int = 0
    drafts_lapsed: int = 0
    requests_lapsed: int = 0
    became_overdue: int = 0
    plaques_withdrawn: int = 0
    reminders_queued: int = 0
    notices_sent: int = 0
    notices_failed: int = 0
