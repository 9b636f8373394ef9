"""The geometry of the dashboard's charts: bars in proportion, bands as wide as their text
is long, shades relative to the densest section."""

from __future__ import annotations

from app.editor import charts


def test_bars_are_in_proportion_and_empty_charts_draw_nothing():
    chart = charts.horizontal([("a", 10), ("b", 5), ("c", 0)])
    a, b, c = chart.bars
    assert a.width == 2 * b.width and c.width == 0
    assert a.x == b.x == charts.LABEL_WIDTH and a.width <= charts.WIDTH - charts.LABEL_WIDTH
    assert [bar.y for bar in chart.bars] == sorted(bar.y for bar in chart.bars)
    assert charts.horizontal([]).bars == [] and charts.columns([]).bars == []
    assert charts.horizontal([("a", 0)]).bars[0].width == 0


def test_columns_stand_on_the_axis_left_to_right():
    chart = charts.columns([("1 Dec", 4), ("2 Dec", 0), ("3 Dec", 2)], height=100)
    first, empty, last = chart.bars
    assert first.y + first.height == empty.y + empty.height == 100
    assert first.height == 2 * last.height and empty.height == 0
    assert first.x < empty.x < last.x
    assert charts.columns([("1 Dec", 3)]).bars[0].width <= 40  # one day is not a wall


def test_the_heat_strip_spans_the_width_in_reading_order():
    bands = charts.heat_strip([("a", "A", 1000, 0.0), ("b", "B", 3000, 2.0), ("c", "C", 0, 0.0),
                               ("d", "D", 1000, 0.5)])  # fmt: skip
    assert [b.key for b in bands] == ["a", "b", "c", "d"]
    assert bands[0].width * 3 == bands[1].width and bands[2].width == 0
    assert round(sum(b.width for b in bands), 6) == charts.WIDTH
    assert bands[1].x == bands[0].width
    assert [b.level for b in bands] == [0, charts.HEAT_LEVELS - 1, 0, 1]
    assert all(b.level == 0 for b in charts.heat_strip([("a", "A", 10, 0.0)]))
