"""The statistics page (项目统计) with charts, and its CSV / Excel export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from seagreen.kit import charts
from seagreen.kit.clock import LOCAL_TZ
from seagreen.statistics import service
from seagreen.statistics.endpoints import StatisticsReader
from seagreen.web.deps import ReadSession, get_locale
from seagreen.web.i18n import translate
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)
SERIES = ("points_issued", "points_redeemed", "points_expired", "points_reversed")


@router.get("/statistics", response_class=HTMLResponse)
def statistics_page(request: Request, _: StatisticsReader, session: ReadSession) -> Response:
    view = service.statistics(session)
    locale = get_locale(request)
    months = view.months[-12:]
    labels = [m.month.strftime("%y-%m") for m in months]
    return render(
        request,
        "statistics/index.html",
        {
            "view": view,
            "reductions": charts.bars([m.credited_g // 1000 for m in months], labels),
            "active": charts.line([m.residents_active for m in months], labels),
            "points": charts.stacked(
                [[getattr(m, name) for m in months] for name in SERIES],
                labels,
                names=[translate(f"statistics.{name}", locale) for name in SERIES],
            ),
            "benefit_rows": charts.shares(
                [(b.name_zh if locale == "zh-CN" else b.name_en, b.redemptions) for b in view.benefits]
            ),
            "series": SERIES,
            "tonnes": lambda grams: f"{grams / 1_000_000:,.2f}",
            "when": lambda m: "" if m is None else m.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        },
    )


@router.get("/statistics/export")
def export(
    _: StatisticsReader, session: ReadSession, format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "xlsx"
) -> Response:
    view = service.statistics(session)
    if format == "csv":
        content, media = service.export_csv(view), "text/csv; charset=utf-8"
    else:
        content, media = (
            service.export_xlsx(view),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    name = f"seagreen-carbon-account-statistics.{format}"
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
