"""Small charts as inline SVG, laid out here and drawn by ``templates/charts/_svg.html``.

No script and no library: a phone gets a few hundred bytes of markup that scales to its width,
and the same page works without JavaScript. Geometry only; the figures come in as integers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH = 320
HEIGHT = 150
LEFT = 34  # room for the value axis
BOTTOM = 18  # room for the labels
TOP = 6


def _nice_max(value: int) -> int:
    """A round number at or above ``value`` for the top of a value axis."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        candidate = int(step * magnitude)
        if candidate >= value:
            return candidate
    return 10 * magnitude


def compact(value: int) -> str:
    """``1.2万``-free short numbers for axes: 950, 1.5k, 23k, 1.2M."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(value) >= 10_000:
        return f"{value // 1000}k"
    if abs(value) >= 1_000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return str(value)


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    width: float
    height: float
    title: str
    series: int = 0


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    marks: list[Mark] = field(default_factory=list)
    labels: list[tuple[float, str]] = field(default_factory=list)  # (x, text) under the plot
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, text) on the value axis
    path: str = ""  # a line chart's polyline
    area: str = ""
    dots: list[tuple[float, float, str]] = field(default_factory=list)
    empty: bool = False


def _ticks(top: int, plot_h: float, fmt: Callable[[int], str]) -> list[tuple[float, str]]:
    return [(round(TOP + plot_h * (1 - i / 2), 1), fmt(top * i // 2)) for i in range(3)]


def _label_every(count: int) -> int:
    return max(1, math.ceil(count / 6))


def bars(
    values: Sequence[int],
    labels: Sequence[str],
    *,
    titles: Sequence[str] | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    fmt: Callable[[int], str] = compact,
) -> Chart:
    """Vertical bars, one per value."""
    if not values or max(values) <= 0:
        return Chart(width, height, empty=True)
    top = _nice_max(max(values))
    plot_w, plot_h = width - LEFT - 4, height - TOP - BOTTOM
    step = plot_w / len(values)
    gap = min(6.0, step * 0.25)
    every = _label_every(len(values))
    marks, axis = [], []
    for index, value in enumerate(values):
        h = plot_h * max(0, value) / top
        x = LEFT + index * step + gap / 2
        title = titles[index] if titles else f"{labels[index]}: {fmt(value)}"
        marks.append(Mark(round(x, 1), round(TOP + plot_h - h, 1), round(step - gap, 1), round(h, 1), title))
        if index % every == 0:
            axis.append((round(x + (step - gap) / 2, 1), labels[index]))
    return Chart(width, height, marks, axis, _ticks(top, plot_h, fmt))


def stacked(
    series: Sequence[Sequence[int]],
    labels: Sequence[str],
    *,
    names: Sequence[str],
    width: int = WIDTH,
    height: int = HEIGHT,
    fmt: Callable[[int], str] = compact,
) -> Chart:
    """Stacked bars: ``series[s][i]`` is series ``s`` at label ``i``."""
    totals = [sum(s[i] for s in series) for i in range(len(labels))]
    if not totals or max(totals) <= 0:
        return Chart(width, height, empty=True)
    top = _nice_max(max(totals))
    plot_w, plot_h = width - LEFT - 4, height - TOP - BOTTOM
    step = plot_w / len(labels)
    gap = min(6.0, step * 0.25)
    every = _label_every(len(labels))
    marks, axis = [], []
    for index in range(len(labels)):
        x = LEFT + index * step + gap / 2
        base: float = TOP + plot_h
        for number, values in enumerate(series):
            h = plot_h * max(0, values[index]) / top
            if h > 0:
                base -= h
                title = f"{labels[index]} {names[number]}: {fmt(values[index])}"
                marks.append(
                    Mark(round(x, 1), round(base, 1), round(step - gap, 1), round(h, 1), title, number)
                )
        if index % every == 0:
            axis.append((round(x + (step - gap) / 2, 1), labels[index]))
    return Chart(width, height, marks, axis, _ticks(top, plot_h, fmt))


def line(
    values: Sequence[int],
    labels: Sequence[str],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    fmt: Callable[[int], str] = compact,
) -> Chart:
    """A line with its area, for a running total."""
    if not values or max(values) <= 0:
        return Chart(width, height, empty=True)
    top = _nice_max(max(values))
    plot_w, plot_h = width - LEFT - 8, height - TOP - BOTTOM
    step = plot_w / max(1, len(values) - 1)
    points = [
        (round(LEFT + 4 + i * step, 1), round(TOP + plot_h * (1 - max(0, v) / top), 1))
        for i, v in enumerate(values)
    ]
    path = "M" + " L".join(f"{x},{y}" for x, y in points)
    area = f"{path} L{points[-1][0]},{TOP + plot_h} L{points[0][0]},{TOP + plot_h} Z"
    every = _label_every(len(values))
    axis = [(x, labels[i]) for i, (x, _) in enumerate(points) if i % every == 0]
    dots = [(x, y, f"{labels[i]}: {fmt(values[i])}") for i, (x, y) in enumerate(points)]
    return Chart(width, height, [], axis, _ticks(top, plot_h, fmt), path, area, dots)


@dataclass(frozen=True)
class Gauge:
    """A half-circle dial filled to ``percent``."""

    percent: int
    track: str
    fill: str


def gauge(percent: int, *, radius: int = 80) -> Gauge:
    share = max(0, min(100, percent)) / 100
    cx, cy = radius + 10, radius + 10

    def point(fraction: float) -> tuple[float, float]:
        angle = math.pi * (1 - fraction)
        return round(cx + radius * math.cos(angle), 2), round(cy - radius * math.sin(angle), 2)

    start, end, fill_end = point(0), point(1), point(share)
    track = f"M{start[0]},{start[1]} A{radius},{radius} 0 0 1 {end[0]},{end[1]}"
    fill = f"M{start[0]},{start[1]} A{radius},{radius} 0 0 1 {fill_end[0]},{fill_end[1]}" if share > 0 else ""
    return Gauge(int(share * 100), track, fill)


def shares(items: Sequence[tuple[str, int]]) -> list[tuple[str, int, float]]:
    """``(label, value, percent of the largest)`` for horizontal bars drawn with CSS widths."""
    widest = max((value for _, value in items), default=0) or 1
    return [(label, value, round(100 * max(0, value) / widest, 1)) for label, value in items]
