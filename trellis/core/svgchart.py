"""Server-rendered SVG charts (pure; no JavaScript, no CDN, CSP-safe, printable).

``line_chart`` draws one series over time with shaded horizontal bands (e.g. severity ranges) and, optionally,
a strip of bars underneath (e.g. attended hours per week). Every chart is an ``<svg role="img">`` with a title
and a description; pages must also render the numbers as a table (``{% svg_line_chart %}`` renders both).
Colour is never the only carrier of meaning: bands are labelled in text and points carry their value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html import escape

# Band fills by severity 0..4 (light tints; text on them uses --c-text, contrast > 12:1).
BAND_FILLS = ("#e3f4e8", "#f3f7d9", "#fff1c7", "#fde3cf", "#fbd5d2")
LINE = "#0b4f8a"
AXIS = "#57606a"


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    label: str
    severity: int = 0


@dataclass(frozen=True)
class Point:
    day: date
    value: float
    label: str = ""


@dataclass(frozen=True)
class Bar:
    day: date
    value: float
    label: str = ""


@dataclass
class LineChart:
    title: str
    description: str
    y_min: float
    y_max: float
    points: list[Point]
    bands: list[Band] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    bars_label: str = ""
    bars_max: float | None = None
    y_label: str = "Score"
    chart_id: str = "chart"


W, H, LEFT, RIGHT, TOP = 660, 266, 40, 190, 14
PLOT_H = 170
BAR_TOP, BAR_H = 220, 40


def _x(day: date, first: date, last: date) -> float:
    span = max((last - first).days, 1)
    return LEFT + (day - first).days / span * (W - LEFT - RIGHT)


def _y(value: float, lo: float, hi: float) -> float:
    span = (hi - lo) or 1
    return TOP + (1 - (value - lo) / span) * PLOT_H


def line_chart(chart: LineChart) -> str:
    cid = escape(chart.chart_id)
    pts = sorted(chart.points, key=lambda p: p.day)
    days = [p.day for p in pts] + [b.day for b in chart.bars]
    height = H if chart.bars else TOP + PLOT_H + 40
    out = [
        f'<svg class="svg-chart" viewBox="0 0 {W} {height}" width="100%" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-t">{escape(chart.title)}</title><desc id="{cid}-d">{escape(chart.description)}</desc>',
    ]
    lo, hi = chart.y_min, chart.y_max
    for band in chart.bands:
        y1, y2 = _y(min(band.high + 0.5, hi), lo, hi), _y(max(band.low - 0.5, lo), lo, hi)
        fill = BAND_FILLS[max(0, min(band.severity, len(BAND_FILLS) - 1))]
        out.append(f'<rect x="{LEFT}" y="{y1:.1f}" width="{W - LEFT - RIGHT}" height="{max(y2 - y1, 0):.1f}" '
                   f'fill="{fill}"/>')
        out.append(f'<text x="{W - RIGHT + 6}" y="{(y1 + y2) / 2 + 4:.1f}" font-size="11" fill="#1b1f24">'
                   f'{escape(band.label)} ({band.low:g}–{band.high:g})</text>')
    # y axis ticks: min, max and band edges
    ticks = sorted({lo, hi, *[b.low for b in chart.bands]})
    for t in ticks:
        y = _y(t, lo, hi)
        out.append(f'<line x1="{LEFT - 4}" x2="{LEFT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{AXIS}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="{AXIS}">{t:g}</text>')
    out.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + PLOT_H}" stroke="{AXIS}"/>')
    out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}" stroke="{AXIS}"/>')
    if days:
        first, last = min(days), max(days)
        if first == last:
            first, last = first, first.fromordinal(first.toordinal() + 1)
        labels: list[date] = []
        for d in sorted({first, last, *[p.day for p in pts][:: max(1, len(pts) // 6)]}):
            if labels and _x(d, first, last) - _x(labels[-1], first, last) < 34:
                if d == last:
                    labels[-1] = d  # keep date labels from overlapping; the last date always shows
                continue
            labels.append(d)
        for d in labels:
            x = _x(d, first, last)
            out.append(f'<text x="{x:.1f}" y="{TOP + PLOT_H + 14}" font-size="10" text-anchor="middle" '
                       f'fill="{AXIS}">{d:%m/%d}</text>')
        if len(pts) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{_x(p.day, first, last):.1f},{_y(p.value, lo, hi):.1f}"
                            for i, p in enumerate(pts))
            out.append(f'<path d="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        for p in pts:
            x, y = _x(p.day, first, last), _y(p.value, lo, hi)
            label = escape(p.label or f"{p.day:%Y-%m-%d}: {p.value:g}")
            # A value on the y axis or the right edge sits beside its point, clear of the tick and band labels.
            anchor, tx = ("start", x + 5) if x - LEFT < 12 else ("end", x - 5) if W - RIGHT - x < 12 else ("middle", x)
            out.append(f'<g><title>{label}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{LINE}"/>'
                       f'<text x="{tx:.1f}" y="{y - 7:.1f}" font-size="10" text-anchor="{anchor}" '
                       f'fill="#1b1f24">{p.value:g}</text></g>')
        if chart.bars:
            top = chart.bars_max or max((b.value for b in chart.bars), default=1) or 1
            out.append(f'<text x="{LEFT}" y="{BAR_TOP - 6}" font-size="10" fill="{AXIS}">'
                       f'{escape(chart.bars_label)}</text>')
            for b in chart.bars:
                h = min(b.value / top, 1) * BAR_H
                x = _x(b.day, first, last)
                out.append(f'<g><title>{escape(b.label or str(b.value))}</title><rect x="{x - 5:.1f}" '
                           f'y="{BAR_TOP + BAR_H - h:.1f}" width="10" height="{h:.1f}" fill="#7d8590"/></g>')
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# Bar chart: one value per labelled category (e.g. a KPI by month). Each bar carries its value as text, so
# colour is never the only carrier; ``{% svg_bar_chart %}`` also renders the numbers as a table.
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BarItem:
    label: str
    value: float | None  # None: no data for the category (drawn as "n/a", not as zero)
    text: str = ""  # the value as shown (e.g. "42.5 days"); defaults to the number


@dataclass
class BarChart:
    title: str
    description: str
    items: list[BarItem]
    value_label: str = "Value"
    category_label: str = "Category"
    chart_id: str = "bars"


BAR_W, BAR_PLOT_H, BAR_TOP_PAD, BAR_LEFT = 660, 170, 20, 40


def bar_chart(chart: BarChart) -> str:
    cid = escape(chart.chart_id)
    height = BAR_TOP_PAD + BAR_PLOT_H + 34
    out = [
        f'<svg class="svg-chart" viewBox="0 0 {BAR_W} {height}" width="100%" role="img" '
        f'aria-labelledby="{cid}-t {cid}-d" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-t">{escape(chart.title)}</title><desc id="{cid}-d">{escape(chart.description)}</desc>',
    ]
    base = BAR_TOP_PAD + BAR_PLOT_H
    out.append(f'<line x1="{BAR_LEFT}" x2="{BAR_W - 10}" y1="{base}" y2="{base}" stroke="{AXIS}"/>')
    values = [i.value for i in chart.items if i.value is not None]
    top = max(values, default=0) or 1
    n = max(len(chart.items), 1)
    slot = (BAR_W - BAR_LEFT - 10) / n
    width = min(slot * 0.6, 60)
    for k, item in enumerate(chart.items):
        x = BAR_LEFT + slot * k + (slot - width) / 2
        cx = x + width / 2
        shown = escape(item.text or ("n/a" if item.value is None else f"{item.value:g}"))
        if item.value is not None:
            h = max(item.value, 0) / top * BAR_PLOT_H
            out.append(f'<g><title>{escape(item.label)}: {shown}</title><rect x="{x:.1f}" y="{base - h:.1f}" '
                       f'width="{width:.1f}" height="{h:.1f}" fill="{LINE}"/></g>')
            y_text = base - h - 5
        else:
            y_text = base - 5
        out.append(f'<text x="{cx:.1f}" y="{y_text:.1f}" font-size="11" text-anchor="middle" '
                   f'fill="#1b1f24">{shown}</text>')
        out.append(f'<text x="{cx:.1f}" y="{base + 16}" font-size="11" text-anchor="middle" '
                   f'fill="{AXIS}">{escape(item.label)}</text>')
    out.append("</svg>")
    return "".join(out)
