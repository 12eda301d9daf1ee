"""Hooks through which apps above episodes (care plans, attendance, ...) take part in an episode's life
without episodes importing them. Apps connect or register from their AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.dispatch import Signal

# Sent inside the admission / level-change / discharge transaction, with sender=Episode and episode=<Episode>
# (level_changing also with changed_on=<date>). Receivers write their own rows in that transaction, so a
# receiver that fails rolls the whole admission (or discharge) back.
admitting = Signal()
level_changing = Signal()
discharging = Signal()

# Sent after the transaction commits, with sender=Episode and episode=<Episode> (e.g. outcome questionnaires
# at admission and discharge).
episode_admitted = Signal()
episode_discharged = Signal()


# Parts of the generated discharge summary that other apps own: key -> function(episode) -> JSON-able value.
SummaryPart = Callable[[Any], Any]
_SUMMARY_PARTS: dict[str, SummaryPart] = {}


def register_summary_part(key: str, build: SummaryPart) -> None:
    _SUMMARY_PARTS[key] = build


def summary_parts(episode: Any) -> dict[str, Any]:
    return {key: build(episode) for key, build in _SUMMARY_PARTS.items()}


@dataclass(frozen=True)
class EpisodePanel:
    """A section of the episode page owned by another app: a template and its context for (request, episode)."""

    key: str
    template: str
    context: Callable[[Any, Any], dict[str, Any]]
    order: int = 100


_PANELS: dict[str, EpisodePanel] = {}


def register_episode_panel(key: str, template: str, context: Callable[[Any, Any], dict[str, Any]],
                           order: int = 100) -> None:
    _PANELS[key] = EpisodePanel(key, template, context, order)


def episode_panels(request: Any, episode: Any) -> list[dict[str, Any]]:
    return [{"key": p.key, "template": p.template, **p.context(request, episode)}
            for p in sorted(_PANELS.values(), key=lambda p: p.order)]


@dataclass(frozen=True)
class AdmissionPanel:
    """A section of the admission page owned by a higher app (e.g. coverage asks for the patient's insurance):
    `context(request, patient)` returns the template's context, or None to show nothing."""

    key: str
    template: str
    context: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 100


_ADMISSION_PANELS: dict[str, AdmissionPanel] = {}


def register_admission_panel(key: str, template: str, context: Callable[[Any, Any], dict[str, Any] | None],
                             order: int = 100) -> None:
    _ADMISSION_PANELS[key] = AdmissionPanel(key, template, context, order)


def admission_panels(request: Any, patient: Any) -> list[dict[str, Any]]:
    panels = []
    for p in sorted(_ADMISSION_PANELS.values(), key=lambda p: p.order):
        ctx = p.context(request, patient)
        if ctx is not None:
            panels.append({"key": p.key, "template": p.template, **ctx})
    return panels
