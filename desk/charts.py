"""Server-rendered SVG charts: the geometry is computed here, the markup is a template
(desk/charts/bars.svg.html). No JavaScript and no chart library: the page works
without scripts, prints, and every chart has a table beside it with the same numbers."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

WIDTH = 720
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 44


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class ChartGeometry:
    width: int
    height: int
    bars: list[Bar]
    y_ticks: list[Tick]
    x_labels: list[Tick]
    legend: list[tuple[int, str]]
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    horizontal: bool = False
    label_width: float = 0
    notes: list[str] = field(default_factory=list)

    # Where the axis labels go, so the template does no arithmetic.
    @property
    def value_label_x(self) -> float:
        return self.plot_left - 6

    @property
    def bottom_label_y(self) -> float:
        return self.plot_bottom + 16


def nice_max(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 2.5, 5 times a power of ten)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def nice_axis(top: float, *, ticks: int = 4, unit: float = 1) -> float:
    """An axis maximum whose `ticks` steps are round numbers of `unit` (e.g. whole hours)."""
    return nice_max(top / unit / ticks) * ticks * unit


def bar_chart(
    *,
    categories: list[str],
    series: list[str],
    values: list[list[float | None]],
    stacked: bool = False,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    tick_fmt: Callable[[float], str] | None = None,
    y_max: float | None = None,
    unit: float = 1,
) -> ChartGeometry:
    """Vertical bars: one group per category (e.g. a month), one bar per series, or one stacked
    bar. `values[s][c]` is the value of series s in category c (None: no data, no bar).
    `fmt` labels the bars, `tick_fmt` the axis; axis steps are round multiples of `unit`."""
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    if stacked:
        totals = [sum(v[c] or 0 for v in values) for c in range(len(categories))]
        top = max(totals, default=0)
    else:
        top = max((v for row in values for v in row if v is not None), default=0)
    y_max = y_max or nice_axis(top or 1, unit=unit)
    tick_fmt = tick_fmt or fmt
    group_w = plot_w / max(len(categories), 1)
    inner = group_w * 0.8
    bar_w = inner if stacked else inner / max(len(series), 1)
    bars: list[Bar] = []
    for c, category in enumerate(categories):
        x0 = LEFT + c * group_w + (group_w - inner) / 2
        base = 0.0
        for s, name in enumerate(series):
            value = values[s][c]
            if value is None:
                continue
            h = plot_h * value / y_max
            if stacked:
                y = TOP + plot_h - plot_h * (base + value) / y_max
                x = x0
                base += value
            else:
                y = TOP + plot_h - h
                x = x0 + s * bar_w
            if value:
                bars.append(
                    Bar(
                        x=round(x, 2),
                        y=round(y, 2),
                        width=round(max(bar_w - 1, 1), 2),
                        height=round(h, 2),
                        series=s,
                        title=f"{category}, {name}: {fmt(value)}",
                    )
                )
    ticks = [
        Tick(position=round(TOP + plot_h - plot_h * i / 4, 2), label=tick_fmt(y_max * i / 4))
        for i in range(5)
    ]
    every = max(1, math.ceil(len(categories) / 12))
    x_labels = [
        Tick(position=round(LEFT + (c + 0.5) * group_w, 2), label=category)
        for c, category in enumerate(categories)
        if c % every == 0
    ]
    return ChartGeometry(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        y_ticks=ticks,
        x_labels=x_labels,
        legend=list(enumerate(series)),
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=TOP + plot_h,
    )


def horizontal_bar_chart(
    *,
    labels: list[str],
    values: list[float],
    classes: list[int],
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    x_max: float | None = None,
    legend: list[str] | None = None,
) -> ChartGeometry:
    """One horizontal bar per label (e.g. a community's share of its budget used)."""
    row_h = 22
    label_w = 180
    height = TOP + BOTTOM // 2 + row_h * max(len(labels), 1) + 20
    plot_left, plot_right = label_w, WIDTH - RIGHT - 40
    plot_w = plot_right - plot_left
    top = max(values, default=0)
    if not x_max or top > x_max:
        x_max = nice_axis(top or 1)
    bars = [
        Bar(
            x=plot_left,
            y=TOP + i * row_h + 3,
            width=round(plot_w * value / x_max, 2),
            height=row_h - 6,
            series=classes[i],
            title=f"{label}: {fmt(value)}",
        )
        for i, (label, value) in enumerate(zip(labels, values, strict=True))
    ]
    y_labels = [
        Tick(position=TOP + i * row_h + row_h / 2, label=label) for i, label in enumerate(labels)
    ]
    ticks = [
        Tick(position=round(plot_left + plot_w * i / 4, 2), label=fmt(x_max * i / 4))
        for i in range(5)
    ]
    return ChartGeometry(
        width=WIDTH,
        height=height,
        bars=bars,
        y_ticks=ticks,
        x_labels=y_labels,
        legend=list(enumerate(legend or [])),
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=TOP,
        plot_bottom=TOP + row_h * max(len(labels), 1),
        horizontal=True,
        label_width=label_w,
    )


def minutes_label(value: float) -> str:
    if value < 120:
        return f"{value:.1f} min" if value < 10 and value != int(value) else f"{value:.0f} min"
    return f"{value / 60:.1f} h"


def minutes_axis(top: float) -> tuple[float, Callable[[float], str]]:
    """(unit, tick formatter) for an axis of minutes: whole hours once the values are long."""
    if top >= 120:
        return 60, lambda v: f"{v / 60:g} h"
    return 1, lambda v: f"{v:g} min"


def count_label(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def percent_label(value: float) -> str:
    return f"{value:.0f}%"
