"""The treatment-plan objectives a note may link: those of the patient's *current* plan (careplans app).

An objective is identified by its ``lineage`` UUID, which stays the same across plan versions (a review copies
the plan into a new version), so progress documented in notes follows the objective through plan reviews.

If the careplans app exposes ``selectors.current_objectives_for_episodes(episodes)`` it is used; otherwise the
active plan is read directly (read-only) in two queries. Either way one bulk call serves a whole group: the
group note screen's query count must not grow with the roster.
Returns ``{episode_pk: {objective lineage (str): label}}``; episodes without a current plan map to ``{}``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any


def current_objectives(episodes: Iterable[Any]) -> dict[int, dict[str, str]]:
    episodes = list(episodes)
    result: dict[int, dict[str, str]] = {e.pk: {} for e in episodes}
    if not episodes:
        return result
    try:
        careplan_selectors = importlib.import_module("trellis.careplans.selectors")
    except ModuleNotFoundError:
        careplan_selectors = None
    bulk = getattr(careplan_selectors, "current_objectives_for_episodes", None)
    if bulk is not None:
        try:
            found = {getattr(k, "pk", k): {str(o.lineage): objective_label(o) for o in objectives}
                     for k, objectives in bulk(episodes).items()}
        except (AttributeError, TypeError):  # a different shape than agreed: read the plan ourselves
            found = None
        if found is not None:
            result.update({k: v for k, v in found.items() if k in result})
            return result
    from trellis.careplans.models import ObjectiveStatus, PlanObjective, PlanStatus

    objectives = (
        PlanObjective.objects.filter(goal__problem__plan__episode__in=[e.pk for e in episodes],
                                     goal__problem__plan__status=PlanStatus.ACTIVE)
        .exclude(status=ObjectiveStatus.DISCONTINUED)
        .select_related("goal__problem__plan")
        .order_by("goal__problem__order", "goal__order", "order", "id")
    )
    for o in objectives:
        result.setdefault(o.goal.problem.plan.episode_id, {})[str(o.lineage)] = objective_label(o)
    return result


def objective_label(objective: Any) -> str:
    text = getattr(objective, "statement", "") or str(objective)
    return text if len(text) <= 160 else text[:157] + "…"
