"""Server-rendered hours components: the compact per-patient-week bar and the week-by-week SVG chart.

Colours come from the design tokens (CSS custom properties), never literals; every bar carries its status as
text (a badge) and an ``aria-label`` sentence, so colour is never the only signal (WCAG 2.2 SC 1.4.1).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from trellis.compliance.engine import STATUS_LABELS, STATUS_TONES, Status, WeekResult

BADGE_KIND = STATUS_TONES
FILL = {
    Status.MET: "var(--c-success-text)",
    Status.ON_TRACK: "var(--c-info-text)",
    Status.AT_RISK: "var(--c-warn-edge)",
    Status.CANNOT_MEET: "var(--c-danger)",
    Status.PARTIAL_WEEK: "var(--c-neutral-text)",
}


def _h(minutes: int) -> str:
    return f"{minutes / 60:.1f}".rstrip("0").rstrip(".")


def summary(r: WeekResult) -> str:
    text = f"{_h(r.counted_minutes)} of {_h(r.required_minutes)} counted hours"
    if r.remaining_counted_minutes:
        text += f", {_h(r.remaining_counted_minutes)} h still scheduled"
    return f"{text}: {STATUS_LABELS[r.status]}"


def hours_bar(r: WeekResult, *, width: int = 120) -> SafeString:
    """Bar (counted, still scheduled, requirement line) + status badge + numbers, in one inline element."""
    scale = max(r.required_minutes, r.best_case_minutes, r.max_minutes or 0, 60) * 1.1
    x_done = round(width * r.counted_minutes / scale, 1)
    x_best = round(width * r.best_case_minutes / scale, 1)
    x_req = round(width * r.required_minutes / scale, 1)
    svg = format_html(
        '<svg class="hours-bar__svg" width="{w}" height="14" viewBox="0 0 {w} 14" role="img" aria-label="{label}">'
        '<rect x="0" y="3" width="{w}" height="8" rx="2" fill="var(--c-neutral-bg)"></rect>'
        '<rect x="{xd}" y="3" width="{wr}" height="8" fill="{fill}" fill-opacity="0.35"></rect>'
        '<rect x="0" y="3" width="{xd}" height="8" rx="2" fill="{fill}"></rect>'
        '<line x1="{xr}" x2="{xr}" y1="0" y2="14" stroke="var(--c-text)" stroke-width="2"></line>'
        "</svg>",
        w=width, label=summary(r), xd=x_done, wr=max(0, round(x_best - x_done, 1)), fill=FILL[r.status], xr=x_req,
    )
    numbers = f"{_h(r.counted_minutes)}/{_h(r.required_minutes)} h"
    if r.remaining_counted_minutes:
        numbers += f" (+{_h(r.remaining_counted_minutes)})"
    return format_html(
        '<span class="hours-bar" data-status="{}" title="{}">{} <span class="badge badge-{}">{}</span> '
        '<span class="small muted">{}</span></span>',
        r.status, summary(r), svg, BADGE_KIND[r.status], STATUS_LABELS[r.status], numbers,
    )


def weeks_chart(results: Sequence[WeekResult], *, width: int = 1000, height: int = 260) -> SafeString:
    """Week-by-week counted hours (bars) against the requirement (a line per week). Fits 1280 px with the chart
    chrome; the page also renders the same numbers as a table for screen readers."""
    if not results:
        return mark_safe("")  # noqa: S308 — constant empty string
    left, bottom, top = 44, 36, 12
    plot_w, plot_h = width - left - 8, height - bottom - top
    top_value = max([r.counted_minutes for r in results] + [r.required_minutes for r in results]
                    + [r.max_minutes or 0 for r in results] + [600]) * 1.1
    slot = plot_w / len(results)
    bar_w = max(4.0, min(40.0, slot * 0.6))

    def y(minutes: float) -> float:
        return round(top + plot_h - plot_h * minutes / top_value, 1)

    ticks = []
    step = 300 if top_value <= 1800 else 600
    m = 0
    while m <= top_value:
        ticks.append((y(m), _h(m)))
        m += step
    grid = format_html_join(
        "", '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="var(--c-border)"></line>'
        '<text x="{}" y="{}" text-anchor="end" font-size="11" fill="var(--c-text-muted)">{} h</text>',
        ((left, width - 8, ty, ty, left - 6, ty + 4, label) for ty, label in ticks),
    )
    bars = []
    for i, r in enumerate(results):
        cx = left + slot * i + slot / 2
        x = round(cx - bar_w / 2, 1)
        bars.append(format_html(
            '<g><title>{}: {}</title>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="var(--c-text)" stroke-width="2"></line>'
            '<text x="{}" y="{}" text-anchor="middle" font-size="10" fill="var(--c-text-muted)">{}</text></g>',
            r.label, summary(r), x, y(r.counted_minutes), round(bar_w, 1),
            round(y(0) - y(r.counted_minutes), 1), FILL[r.status],
            round(x - 3, 1), round(x + bar_w + 3, 1), y(r.required_minutes), y(r.required_minutes),
            round(cx, 1), height - bottom + 14, f"W{r.iso_week:02d}",
        ))
    return format_html(
        '<svg class="hours-chart" width="100%" viewBox="0 0 {w} {h}" preserveAspectRatio="xMinYMin meet" role="img" '
        'aria-labelledby="hours-chart-title"><title id="hours-chart-title">Counted hours per week against the '
        "requirement (bars: counted hours; dark lines: required hours)</title>{}{}"
        '<line x1="{l}" x2="{l}" y1="{t}" y2="{b}" stroke="var(--c-border-strong)"></line></svg>',
        grid, mark_safe("".join(bars)),  # noqa: S308 — each part escaped by format_html
        w=width, h=height, l=left, t=top, b=top + plot_h,
    )
