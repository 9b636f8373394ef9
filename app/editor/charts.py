"""Geometry of the dashboard's charts, drawn on the server as inline SVG.

No chart library and nothing fetched: a chart is a list of shapes with their numbers,
computed here and written out by `templates/editor/_charts.html`. The coordinates are in
the units of the SVG's viewBox, so the chart scales with the page. Every chart has its
data as a table beside it, which is what screen readers and those who do not tell shades
apart read; the shapes only repeat it.
"""

from __future__ import annotations

from dataclasses import dataclass

# The viewBox of every chart is this wide; heights follow the number of bars.
WIDTH = 600
LABEL_WIDTH = 200  # left of horizontal bars, for their labels
BAR_HEIGHT = 18
GAP = 6
# The heat strip's shades, lightest to darkest (CSS classes heat-0 … heat-4).
HEAT_LEVELS = 5


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    maximum: int


def _scale(maximum: int, room: float) -> float:
    return room / maximum if maximum else 0.0


def horizontal(rows: list[tuple[str, int]]) -> Chart:
    """One bar per row, its label on the left, longest for the largest value."""
    maximum = max((value for _label, value in rows), default=0)
    room = WIDTH - LABEL_WIDTH - 40  # space for the number at the bar's end
    scale = _scale(maximum, room)
    bars = [
        Bar(label, value, LABEL_WIDTH, n * (BAR_HEIGHT + GAP), value * scale, BAR_HEIGHT)
        for n, (label, value) in enumerate(rows)
    ]
    height = max(len(rows) * (BAR_HEIGHT + GAP), BAR_HEIGHT)
    return Chart(bars, WIDTH, height, maximum)


def columns(rows: list[tuple[str, int]], height: int = 160) -> Chart:
    """One column per row from left to right (a time axis), tallest for the largest."""
    maximum = max((value for _label, value in rows), default=0)
    scale = _scale(maximum, height - 20)
    step = WIDTH / max(len(rows), 1)
    width = min(max(step * 0.8, 1.0), 40.0)  # a lone day is a column, not a wall
    bars = [
        Bar(
            label,
            value,
            n * step + (step - width) / 2,
            height - value * scale,
            width,
            value * scale,
        )
        for n, (label, value) in enumerate(rows)
    ]
    return Chart(bars, WIDTH, height, maximum)


@dataclass(frozen=True)
class Band:
    """A section on the heat strip: as wide as its text is long, shaded by its density."""

    key: str
    label: str
    x: float
    width: float
    density: float
    level: int  # 0 (no thread) … HEAT_LEVELS - 1 (the densest)


def heat_strip(sections: list[tuple[str, str, int, float]]) -> list[Band]:
    """Bands for (key, label, text length, threads per 1,000 characters), in reading
    order, across the chart's width. Shades are relative to the densest section."""
    total = sum(length for _key, _label, length, _density in sections)
    densest = max((density for *_rest, density in sections), default=0.0)
    bands, x = [], 0.0
    for key, label, length, density in sections:
        width = WIDTH * length / total if total else 0.0
        level = 0
        if density and densest:
            level = min(HEAT_LEVELS - 1, 1 + int((HEAT_LEVELS - 1) * density / densest * 0.999))
        bands.append(Band(key, label, x, width, density, level))
        x += width
    return bands
