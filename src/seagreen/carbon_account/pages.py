"""The operator's page of the personal carbon account (个人碳账户运营总览): partners, recent
ingests, totals and the behaviours that reduce most. Read-only; for operators and authorities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from seagreen.carbon_account import service
from seagreen.identity.access import require_roles
from seagreen.identity.domain import Principal, Role
from seagreen.kit.clock import LOCAL_TZ, from_micros
from seagreen.web.deps import ReadSession
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)

CarbonReader = Annotated[
    Principal, Depends(require_roles(Role.OPERATOR, Role.PLATFORM_ADMIN, Role.AUTHORITY_REVIEWER))
]


@dataclass(frozen=True)
class Bar:
    """One bar of the behaviours chart, laid out for an inline SVG (no script, no library)."""

    behaviour: service.BehaviourTotal
    y: int
    width: float  # percent of the widest bar


BAR_HEIGHT = 28


def kg(grams: int) -> str:
    return f"{grams / 1000:,.1f}"


def tonnes(grams: int) -> str:
    return f"{grams / 1_000_000:,.2f}"


def label_key(group: str, value: str) -> str:
    """The translation key of a partner kind (``kind``) or an ingest source (``source``)."""
    return f"carbon_account.{group}.{value}"


def bars(behaviours: list[service.BehaviourTotal]) -> list[Bar]:
    widest = max((b.reduction_g for b in behaviours), default=0) or 1
    return [
        Bar(b, index * BAR_HEIGHT, round(100 * b.reduction_g / widest, 1))
        for index, b in enumerate(behaviours)
    ]


@router.get("/carbon-account", response_class=HTMLResponse)
def carbon_account_page(request: Request, _: CarbonReader, session: ReadSession) -> HTMLResponse:
    view = service.overview(session)
    return render(
        request,
        "carbon_account/index.html",
        {
            "view": view,
            "bars": bars(view.behaviours),
            "bar_height": BAR_HEIGHT,
            "kg": kg,
            "tonnes": tonnes,
            "label_key": label_key,
            "local_time": lambda micros: from_micros(micros).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        },
    )
