"""The operator's overview (运营总览) of the personal carbon account: partners, recent ingests,
totals and the behaviours that reduce most."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from seagreen.carbon_account.repository import overview as repository
from seagreen.carbon_account.repository import partners as partner_rows
from seagreen.carbon_account.service.partners import IngestView, PartnerRead, list_partners, partner_ingests
from seagreen.carbon_account.service.points import Totals, totals


@dataclass(frozen=True)
class BehaviourTotal:
    code: str
    name_zh: str
    name_en: str
    dimension: str
    reduction_g: int
    credited_g: int


@dataclass(frozen=True)
class IngestLine:
    partner: str
    ingest: IngestView


@dataclass(frozen=True)
class Overview:
    totals: Totals
    partners: list[PartnerRead]
    ingests: list[IngestLine]
    behaviours: list[BehaviourTotal]


def overview(session: Session, *, ingests: int = 20, behaviours: int = 10) -> Overview:
    """What the operator page shows, read in the caller's (read-only) transaction."""
    recent = partner_ingests(session, None, limit=ingests)
    codes = partner_rows.partner_codes_by_id(session, sorted({view.partner_id for view in recent}))
    return Overview(
        totals=totals(session),
        partners=list_partners(session),
        ingests=[IngestLine(codes.get(view.partner_id, ""), view) for view in recent],
        behaviours=[BehaviourTotal(*row) for row in repository.behaviour_totals(session, behaviours)],
    )


def known_event_ids(session: Session, partner_code: str, event_ids: Sequence[str]) -> set[str]:
    """Which of these event ids the partner has already sent and the platform stored (to send
    only the rest: the demo, or a partner's catch-up)."""
    row = partner_rows.partner_by_code(session, partner_code)
    if row is None:
        return set()
    return repository.known_event_ids(session, int(row.id), event_ids)
