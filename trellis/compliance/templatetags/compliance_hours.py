"""``{% load compliance_hours %}``: ``{% hours_bar result %}`` (a WeekResult) and ``{% hours_chart results %}``."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from trellis.compliance import components

register = template.Library()


@register.simple_tag
def hours_bar(result: Any, width: int = 120) -> SafeString | str:
    return components.hours_bar(result, width=width) if result is not None else ""


@register.simple_tag
def hours_chart(results: Any) -> SafeString:
    return components.weeks_chart(list(results or []))


@register.filter
def minutes_h(value: Any) -> str:
    """Minutes as decimal hours: 570 → "9.5"."""
    try:
        return components._h(int(value))
    except (TypeError, ValueError):
        return ""
