"""Small inline SVG charts of the registry pages, laid out in Python (no script, no library):
where the issued tonnes are, holdings by organisation, and a project's price history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from seagreen.registry.schemas import HoldingRead, PricePoint, TotalsRead

STATES = ("active", "buffer", "retired", "cancelled")


@dataclass(frozen=True)
class Segment:
    state: str
    quantity: int
    x: float  # percent
    width: float  # percent


def split_bar(totals: TotalsRead) -> list[Segment]:
    """One bar: the issued tonnes by state, as shares of the whole."""
    issued = totals.issued or 1
    segments, x = [], 0.0
    for state in STATES:
        quantity = getattr(totals, state)
        if quantity:
            width = round(100 * quantity / issued, 2)
            segments.append(Segment(state, quantity, x, width))
            x += width
    return segments


@dataclass(frozen=True)
class OrgBar:
    org: str
    active: int
    retired: int
    active_width: float
    retired_width: float
    y: int


BAR_HEIGHT = 26


def org_bars(holdings: list[HoldingRead]) -> list[OrgBar]:
    """Per organisation (the buffer pool excluded): tonnes held and tonnes retired."""
    by_org: dict[str, list[int]] = {}
    for holding in holdings:
        if holding.org_code is None or holding.state not in ("active", "retired"):
            continue
        entry = by_org.setdefault(holding.org_name, [0, 0])
        entry[0 if holding.state == "active" else 1] += holding.quantity
    widest = max((a + r for a, r in by_org.values()), default=0) or 1
    ordered = sorted(by_org.items(), key=lambda item: -(item[1][0] + item[1][1]))
    return [
        OrgBar(org, a, r, round(100 * a / widest, 2), round(100 * r / widest, 2), index * BAR_HEIGHT)
        for index, (org, (a, r)) in enumerate(ordered)
    ]


@dataclass(frozen=True)
class PriceLine:
    points: str  # SVG polyline points in a 100 x 40 box
    dots: list[tuple[float, float, PricePoint]]
    low: str
    high: str


def price_line(prices: list[PricePoint]) -> PriceLine | None:
    if not prices:
        return None
    values = [Decimal(p.price_yuan_per_t) for p in prices]
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    count = len(prices)
    dots = []
    for index, (price, value) in enumerate(zip(prices, values, strict=True)):
        x = 50.0 if count == 1 else round(4 + 92 * index / (count - 1), 2)
        y = round(36 - float((value - low) / span) * 32, 2) if high != low else 20.0
        dots.append((x, y, price))
    return PriceLine(" ".join(f"{x},{y}" for x, y, _ in dots), dots, f"{low:.2f}", f"{high:.2f}")
