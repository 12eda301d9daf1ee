"""UI template tags shared by every Trellis app: ``{% load trellis_ui %}``.

* ``{% status_badge value %}`` — a status pill whose colour follows the value
  (``label=`` and ``kind=`` override); the text always says the status, so
  colour is never the only signal.
* ``{{ minutes|minutes_hm }}`` — 125 -> "2 h 05 min", 45 -> "45 min".
* ``{{ patient|age_on:some_date }}`` / ``{{ dob|age_on }}`` — age in whole years.
* ``{{ name_or_obj|initials }}`` — "Ana María Ortiz" -> "AO".
* ``{% empty_state title text action_url action_label %}`` — the empty-state
  component (say what to do next).
* ``{% badge text kind %}`` — a pill that is not a status (a flag, "42 CFR Part 2", "Locked").
* Dates and times, the one format of the product (trellis.core.formats), in the site's zone;
  each takes an optional zone (tzinfo, zone name or Site), else the request's active zone:
  ``fmt_date`` "Dec 1, 2026", ``fmt_day`` "Tue, Dec 1, 2026", ``fmt_date_short`` "Dec 1",
  ``fmt_day_short`` "Tue, Dec 1", ``fmt_time`` "14:05", ``fmt_datetime`` "Dec 1, 2026 14:05",
  ``fmt_stamp`` "Dec 1, 2026 14:05 EST", ``{% time_range start end zone %}`` "09:00–10:30",
  and ``iso_date`` "2026-12-01" for URLs and sort keys.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html

from trellis.accounts import policies
from trellis.core import formats

register = template.Library()

# Status value -> badge kind. Keys are lower-case enum values used across apps.
# Unknown values render as "neutral".
STATUS_KINDS: dict[str, str] = {
    # success
    "active": "success",
    "signed": "success",
    "complete": "success",
    "completed": "success",
    "present": "success",
    "attended": "success",
    "approved": "success",
    "accepted": "success",
    "paid": "success",
    "met": "success",
    "admitted": "success",
    "current": "success",
    "verified": "success",
    "ok": "success",
    "on_track": "success",
    "cosigned": "success",
    "finalized": "success",
    "scheduled": "info",
    # info
    "planned": "info",
    "open": "info",
    "submitted": "info",
    "pending": "info",
    "in_progress": "info",
    "new": "info",
    "sent": "info",
    "ready": "info",
    "waiting": "info",
    "checked_in": "info",
    "in_session": "info",
    "acknowledged": "info",
    "screening": "info",
    "referred": "info",
    # warn
    "draft": "warn",
    "late": "warn",
    "partial": "warn",
    "tardy": "warn",
    "due": "warn",
    "due_soon": "warn",
    "at_risk": "warn",
    "needs_cosign": "warn",
    "awaiting_signature": "warn",
    "unsigned": "warn",
    "expiring": "warn",
    "on_hold": "warn",
    "excused": "warn",
    "left_early": "warn",
    "review": "warn",
    "needs_review": "warn",
    "pended": "warn",
    "waitlisted": "warn",
    # danger
    "overdue": "danger",
    "absent": "danger",
    "no_show": "danger",
    "denied": "danger",
    "rejected": "danger",
    "expired": "danger",
    "failed": "danger",
    "not_met": "danger",
    "error": "danger",
    "revoked": "danger",
    "unexcused": "danger",
    "critical": "danger",
    "high_risk": "danger",
    "declined": "danger",
    # neutral
    "discharged": "neutral",
    "closed": "neutral",
    "cancelled": "neutral",
    "canceled": "neutral",
    "inactive": "neutral",
    "void": "neutral",
    "voided": "neutral",
    "withdrawn": "neutral",
    "archived": "neutral",
    "amended": "neutral",
    "superseded": "neutral",
    "not_applicable": "neutral",
}
BADGE_KINDS = frozenset({"success", "warn", "danger", "info", "neutral", "accent"})


def _status_key(value: Any) -> str:
    raw = getattr(value, "value", value)
    return str(raw if raw is not None else "").strip().lower().replace("-", "_").replace(" ", "_")


def _status_label(value: Any) -> str:
    label = getattr(value, "label", None)
    if label:
        return str(label)
    text = str(getattr(value, "value", value) if value is not None else "")
    return text.replace("_", " ").strip().capitalize() if text else "—"


@register.simple_tag
def status_badge(value: Any, label: str | None = None, kind: str | None = None) -> str:
    """Render ``<span class="badge badge--KIND">Label</span>`` for a status value.

    ``value`` may be a plain string ("overdue") or a TextChoices member
    (its ``label`` is shown). Pass ``label=obj.get_status_display`` to show the
    model's display text, ``kind="warn"`` to force a colour.
    """
    key = _status_key(value)
    chosen = kind if kind in BADGE_KINDS else STATUS_KINDS.get(key, "neutral")
    text = label if label not in (None, "") else _status_label(value)
    return format_html('<span class="badge badge-{}" data-status="{}">{}</span>', chosen, key, text)


@register.simple_tag
def badge(text: Any, kind: str = "neutral") -> str:
    """A pill that labels something other than a status: ``{% badge "Locked" %}``, ``{% badge f.label "danger" %}``."""
    chosen = kind if kind in BADGE_KINDS else "neutral"
    return format_html('<span class="badge badge-{}">{}</span>', chosen, text)


@register.simple_tag
def count_badge(count: Any, suffix: str = "") -> str:
    """A count in a heading: ``{% count_badge items|length %}``."""
    return format_html('<span class="badge count-badge">{}{}</span>', count, suffix)


@register.filter
def fmt_date(value: Any, zone: Any = None) -> str:
    return formats.date(value, zone)


@register.filter
def fmt_day(value: Any, zone: Any = None) -> str:
    return formats.day(value, zone)


@register.filter
def fmt_date_short(value: Any, zone: Any = None) -> str:
    return formats.date_short(value, zone)


@register.filter
def fmt_day_short(value: Any, zone: Any = None) -> str:
    return formats.day_short(value, zone)


@register.filter
def fmt_time(value: Any, zone: Any = None) -> str:
    return formats.time(value, zone)


@register.filter
def fmt_datetime(value: Any, zone: Any = None) -> str:
    return formats.datetime(value, zone)


@register.filter
def fmt_stamp(value: Any, zone: Any = None) -> str:
    return formats.stamp(value, zone)


@register.filter
def iso_date(value: Any, zone: Any = None) -> str:
    return formats.iso_date(value, zone)


@register.simple_tag
def time_range(start: Any, end: Any, zone: Any = None) -> str:
    return formats.time_range(start, end, zone)


@register.filter
def minutes_hm(value: Any) -> str:
    """Integer minutes -> "2 h 05 min" (>= 60) or "45 min". Blank for None/invalid."""
    if value is None or value == "":
        return ""
    try:
        total = int(value)
    except (TypeError, ValueError):
        return ""
    sign = "-" if total < 0 else ""
    hours, minutes = divmod(abs(total), 60)
    if hours:
        return f"{sign}{hours} h {minutes:02d} min"
    return f"{sign}{minutes} min"


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


@register.filter
def age_on(value: Any, on: Any = None) -> int | str:
    """Age in whole years on ``on`` (default: today).

    ``value`` is a date of birth, or an object with ``age_on(date)`` (Patient)
    or ``date_of_birth``. Returns "" when unknown.
    """
    when = _as_date(on) if on not in (None, "") else timezone.localdate()
    if when is None:
        return ""
    if hasattr(value, "age_on") and callable(value.age_on):
        try:
            return value.age_on(when)
        except (TypeError, ValueError):
            return ""
    born = _as_date(getattr(value, "date_of_birth", value))
    if born is None:
        return ""
    years = when.year - born.year - ((when.month, when.day) < (born.month, born.day))
    return max(years, 0)


@register.filter
def initials(value: Any) -> str:
    """Up to two initials: first letter of the first and last words.

    Accepts a string or an object with ``initials``, ``display_name``,
    ``full_name`` or ``get_full_name()``.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        ready = getattr(value, "initials", None)
        if isinstance(ready, str) and ready:
            return ready.upper()[:2]
        name = (
            getattr(value, "display_name", None)
            or getattr(value, "full_name", None)
            or (value.get_full_name() if hasattr(value, "get_full_name") else None)
            or getattr(value, "email", None)
            or str(value)
        )
        value = str(name)
    words = [w for w in value.replace("@", " ").replace(".", " ").split() if w[:1].isalnum()]
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0].upper()
    return (words[0][0] + words[-1][0]).upper()


@register.inclusion_tag("web/components/empty_state.html")
def empty_state(
    title: str,
    text: str = "",
    action_url: str = "",
    action_label: str = "",
    icon: str = "",
) -> dict[str, str]:
    """The empty-state component. Always tell the reader what to do next."""
    return {
        "title": title,
        "text": text,
        "action_url": action_url,
        "action_label": action_label,
        "icon": icon,
    }


@register.filter
def may_open(user: Any, url_name: str) -> bool:
    """``{% if user|may_open:"patients:create" %}<a …>Register patient</a>{% endif %}``: shown exactly when the
    view behind the URL name would let the user in (its declared capability; trellis.accounts.policies)."""
    return policies.may_open(user, url_name)
