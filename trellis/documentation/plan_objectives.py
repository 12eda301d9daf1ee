"""The treatment-plan objectives a note may link: those of the patient's *current* plan (careplans app).

An objective is identified by its ``lineage`` UUID, which stays the same across plan versions (a review copies
the plan into a new version), so progress documented in notes follows the objective through plan reviews.

One bulk call (careplans' ``current_objectives_for_episodes``, two queries) serves a whole group: the group
note screen's query count must not grow with the roster.
Returns ``{episode_pk: {objective lineage (str): label}}``; episodes without a current plan map to ``{}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trellis.careplans.selectors import current_objectives_for_episodes


def current_objectives(episodes: Iterable[Any]) -> dict[int, dict[str, str]]:
    episodes = list(episodes)
    result: dict[int, dict[str, str]] = {e.pk: {} for e in episodes}
    if not episodes:
        return result
    for pk, objectives in current_objectives_for_episodes(episodes).items():
        if pk in result:
            result[pk] = {str(o.lineage): objective_label(o) for o in objectives}
    return result


def objective_label(objective: Any) -> str:
    text = getattr(objective, "statement", "") or str(objective)
    return text if len(text) <= 160 else text[:157] + "…"
