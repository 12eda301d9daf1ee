"""``{% load svg_chart %}{% svg_line_chart chart %}``: the SVG (trellis.core.svgchart) plus its data table."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from trellis.core.svgchart import BarChart, LineChart, bar_chart, line_chart

register = template.Library()


@register.simple_tag
def svg_line_chart(chart: LineChart, table_caption: str = "") -> str:
    svg = line_chart(chart)  # every text inside is escaped by line_chart
    table = render_to_string("core/svg_chart_table.html", {"chart": chart, "caption": table_caption or chart.title})
    return mark_safe(f'<figure class="svg-chart-figure">{svg}{table}</figure>')  # noqa: S308 - escaped above


@register.simple_tag
def svg_bar_chart(chart: BarChart, table_caption: str = "") -> str:
    """The bars plus a table of the same numbers (screen readers and print read the table)."""
    svg = bar_chart(chart)  # every text inside is escaped by bar_chart
    table = render_to_string("core/svg_bar_table.html", {"chart": chart, "caption": table_caption or chart.title})
    return mark_safe(f'<figure class="svg-chart-figure">{svg}{table}</figure>')  # noqa: S308 - escaped above
