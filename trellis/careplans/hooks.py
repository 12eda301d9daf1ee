"""How care plans take part in an episode's life (trellis.episodes.hooks): deadlines at admission, a sooner
review after a level change, deadlines cancelled at discharge, plan progress in the discharge summary, and
the plan/deadline/certification panel on the episode page. Connected in CareplansConfig.ready()."""

from __future__ import annotations

from typing import Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability
from trellis.careplans import selectors, services
from trellis.episodes import hooks
from trellis.episodes.models import Episode, EpisodeStatus


def on_admitting(sender: Any, *, episode: Episode, **kwargs: Any) -> None:
    services.schedule_admission_deadlines(episode=episode)


def on_level_changing(sender: Any, *, episode: Episode, changed_on: Any, **kwargs: Any) -> None:
    services.level_changed(episode=episode, changed_on=changed_on)


def on_discharging(sender: Any, *, episode: Episode, **kwargs: Any) -> None:
    services.cancel_open_deadlines(episode=episode)


def episode_panel(request: Any, episode: Episode) -> dict[str, Any]:
    site = episode.program.site
    return {
        "episode": episode,
        "plan": selectors.current_plan(episode),
        "deadlines": selectors.open_deadlines(episode),
        "certifications": selectors.certifications_of(episode),
        "can_certify": (has_capability(request.user, Cap.CERTIFY, site) and episode.program.requires_certification
                        and episode.status == EpisodeStatus.ACTIVE),
    }


def connect() -> None:
    hooks.admitting.connect(on_admitting, sender=Episode, dispatch_uid="careplans.admitting")
    hooks.level_changing.connect(on_level_changing, sender=Episode, dispatch_uid="careplans.level_changing")
    hooks.discharging.connect(on_discharging, sender=Episode, dispatch_uid="careplans.discharging")
    hooks.register_summary_part("plan_progress", selectors.plan_progress)
    hooks.register_episode_panel("careplans", "careplans/_episode_panel.html", episode_panel, order=20)
