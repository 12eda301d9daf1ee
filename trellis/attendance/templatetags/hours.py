"""Display helpers for durations held as integer minutes."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def hm(minutes: Any) -> str:
    """425 -> "7 h 05 min"; 0 -> "0 min"."""
    try:
        total = int(minutes or 0)
    except (TypeError, ValueError):
        return ""
    hours, mins = divmod(total, 60)
    if not hours:
        return f"{mins} min"
    return f"{hours} h {mins:02d} min"


@register.filter
def label(value: str) -> str:
    """service_type / modality code -> readable label."""
    from trellis.programs.models import AttendedModality, ServiceType

    for choices in (ServiceType, AttendedModality):
        if value in choices.values:
            return str(choices(value).label)
    return str(value).replace("_", " ").capitalize()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None
