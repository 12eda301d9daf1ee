"""The parts of a discharge summary a disclosure may carry, by consent category (42 CFR 2.31(a)(3), 2.13(a)):
a disclosure includes only the sections its consent covers (trellis.consents.scope.CATEGORIES)."""

from __future__ import annotations

from typing import Any

from trellis.consents.scope import ALL
from trellis.episodes.summary import summary_sections


def _attendance(summary: dict[str, Any]) -> list[tuple[str, list[str]]]:
    hours = summary.get("hours", {})
    lines = [f"Program: {summary.get('program')} ({summary.get('site')})",
             f"Admitted {summary.get('admitted_on')}; discharged {summary.get('discharged_on') or 'not yet'}"]
    lines += [f"{w['label']} (week of {w['monday']}): {w['attended_minutes'] / 60:.1f} h attended of "
              f"{w['scheduled_minutes'] / 60:.1f} h scheduled" for w in hours.get("weeks", [])]
    return [("Attendance", lines)]


# Which titled sections of the full summary (trellis.episodes.summary.summary_sections) belong to each category.
BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "diagnoses": ("Diagnoses at admission (ICD-10-CM)", "Diagnoses at discharge (ICD-10-CM)"),
    "medications": ("Medications at discharge",),
    "plan_progress": ("Treatment plan progress",),
    "risk": ("Risk",),
    "discharge_summary": ("Episode", "Aftercare", "Outcomes"),
}


def sections_for(summary: dict[str, Any], categories: list[str]) -> list[tuple[str, list[str]]]:
    """The summary cut down to `categories` (in the summary's order); "all records" is the whole summary."""
    full = summary_sections(summary)
    if ALL in categories:
        return full
    titles = {t for c in categories for t in BY_CATEGORY.get(c, ())}
    out = _attendance(summary) if "attendance" in categories else []
    return out + [(title, lines) for title, lines in full if title in titles]
