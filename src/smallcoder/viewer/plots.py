"""Server-side plots: the geometry of bar and stacked-column charts, drawn by templates/svg.html.

No JavaScript charting: the page is plain SVG, so it renders instantly, prints, and
needs nothing vendored. Coordinates are SVG user units; the templates scale to width.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# Columns get hover text up to this many steps.
HOVER_LIMIT = 200


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    css: str  # a class in viewer.css that sets the fill
    tip: str  # shown as the SVG <title> (hover text)

    def __post_init__(self) -> None:
        # A tenth of a unit is finer than a pixel; shorter numbers make a lighter page for long runs.
        for name in ("x", "y", "w", "h"):
            object.__setattr__(self, name, round(getattr(self, name), 1))


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass
class Chart:
    """Everything a template needs to draw one chart."""

    title: str
    width: float
    height: float
    rects: list[Rect] = field(default_factory=list)
    paths: list[tuple[str, str]] = field(default_factory=list)  # (css class, SVG path data): one per series
    labels: list[Label] = field(default_factory=list)
    gridlines: list[tuple[float, str]] = field(default_factory=list)  # (y or x, label)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css class, name)
    horizontal: bool = False
    note: str = ""


@dataclass(frozen=True)
class Bar:
    """One labelled value of a bar chart; `text` is how the value is written next to its bar."""

    label: str
    value: float
    text: str


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 4, 6 or 8 × 10^k at or above `value`, so quarter gridlines read well; 1 for 0."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for m in (1, 2, 4, 6, 8, 10):
        top = m * 10**exp
        if top >= value * (1 - 1e-9):
            return float(top)
    return float(10 ** (exp + 1))


def bar_chart(title: str, bars: Sequence[Bar], fmt: Callable[[float], str], css: str = "b0",
              top: float | None = None, note: str = "") -> Chart:
    """Horizontal bars, one row each, scaled to the largest value (or to `top`, e.g. 1.0 for shares)."""
    label_w, bar_w, row_h, pad = 300.0, 380.0, 22.0, 28.0
    chart = Chart(title, label_w + bar_w + 90, pad + row_h * max(1, len(bars)) + 8, horizontal=True, note=note)
    scale = top if top is not None else nice_ceiling(max((b.value for b in bars), default=0.0))
    for i in range(5):
        x = label_w + bar_w * i / 4
        chart.gridlines.append((x, fmt(scale * i / 4)))
    for i, b in enumerate(bars):
        y = pad + i * row_h
        w = bar_w * max(0.0, b.value) / scale if scale else 0.0
        chart.rects.append(Rect(label_w, y + 3, w, row_h - 6, css, f"{b.label}: {b.text}"))
        chart.labels.append(Label(label_w - 6, y + row_h / 2 + 4, _clip(b.label, 44), "end"))
        chart.labels.append(Label(label_w + w + 4, y + row_h / 2 + 4, b.text))
    return chart


def stacked_columns(title: str, series: Sequence[tuple[str, str, Sequence[float]]], xlabels: Sequence[str],
                    fmt: Callable[[float], str], unit: str, width: float = 960.0, height: float = 180.0) -> Chart:
    """One column per x position (a step), its segments stacked bottom-up in `series` order.

    `series` is (css class, name, values); every values list has len(xlabels) entries.
    Columns thin out to a pixel for long runs: 500 steps still make one small SVG.
    """
    left, bottom, top_pad = 56.0, 22.0, 10.0
    plot_w, plot_h = width - left - 8, height - bottom - top_pad
    n = len(xlabels)
    chart = Chart(title, width, height, legend=[(css, name) for css, name, vals in series if any(v > 0 for v in vals)])
    totals = [sum(vals[i] for _, _, vals in series) for i in range(n)]
    scale = nice_ceiling(max(totals, default=0.0))
    for i in range(5):
        y = top_pad + plot_h * (1 - i / 4)
        chart.gridlines.append((y, fmt(scale * i / 4)))
    if n == 0:
        return chart
    slot = plot_w / n
    col_w = round(max(1.0, slot * 0.8), 1)
    # Each series is one <path> of rectangles (not one <rect> per step): a 500-step run stays a light page.
    segments: dict[str, list[str]] = {css: [] for css, _, _ in series}
    bases = [top_pad + plot_h] * n
    for css, _, vals in series:
        for i in range(n):
            h = plot_h * max(0.0, vals[i]) / scale
            if h > 0:
                bases[i] -= h
                segments[css].append(f"M{left + i * slot:.1f} {bases[i]:.1f}h{col_w}v{h:.1f}h-{col_w}z")
    chart.paths = [(css, "".join(parts)) for css, parts in segments.items() if parts]
    if n > HOVER_LIMIT:  # hover text would be most of the page; every step's figures head its section
        chart.note = "each step's figures are in its section of the timeline"
        n_hover = 0
    else:
        n_hover = n
    for i in range(n_hover):
        tip_parts = [f"{name} {fmt(vals[i])}" for _, name, vals in series if vals[i] > 0]
        # One hover target per column, the full height, carrying all figures of the step.
        chart.rects.append(Rect(left + i * slot, top_pad, col_w, plot_h, "hit",
                                f"step {xlabels[i]}: " + ", ".join(tip_parts) + f" ({unit})"))
    every = max(1, math.ceil(n / 12))
    for i in range(0, n, every):
        chart.labels.append(Label(left + i * slot + col_w / 2, height - 6, xlabels[i], "middle"))
    return chart


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
