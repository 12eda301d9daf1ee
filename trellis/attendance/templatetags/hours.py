"""Attendance labels for templates (durations use trellis_ui's ``minutes_hm``)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


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
