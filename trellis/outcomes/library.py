"""Which instruments an organization can use: the shipped ones plus its own validated licensed definitions,
with the organization's configured cut-points/thresholds applied (settings.TRELLIS_OUTCOMES_SCALE_OVERRIDES)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings

from trellis.outcomes.models import InstrumentDefinition
from trellis.outcomes.scoring import Definition, load_shipped, parse_definition


@lru_cache(maxsize=1)
def shipped() -> dict[str, Definition]:
    return load_shipped()


def _with_settings(defn: Definition) -> Definition:
    overrides = (getattr(settings, "TRELLIS_OUTCOMES_SCALE_OVERRIDES", {}) or {}).get(defn.key)
    return defn.with_overrides(overrides)


def instruments_for(organization: Any) -> dict[str, Definition]:
    """Every instrument usable by the organization, by key (one query for its own definitions)."""
    found = {k: _with_settings(d) for k, d in shipped().items()}
    if organization is not None:
        for row in InstrumentDefinition.objects.filter(organization=organization, active=True).order_by("version"):
            if row.key not in shipped():
                found[row.key] = _with_settings(parse_definition(row.definition))
    return found


def get_instrument(key: str, organization: Any = None) -> Definition | None:
    if key in shipped():
        return _with_settings(shipped()[key])
    if organization is None:
        return None
    row = (InstrumentDefinition.objects.filter(organization=organization, key=key, active=True)
           .order_by("-created_at").first())
    return _with_settings(parse_definition(row.definition)) if row else None


# Most used first in pickers; organization-supplied instruments follow alphabetically.
PICK_ORDER = ["phq9", "gad7", "pcl5", "audit", "bam", "dass21", "cssrs"]


def choices(organization: Any) -> list[tuple[str, str]]:
    found = instruments_for(organization)
    rank = {k: i for i, k in enumerate(PICK_ORDER)}
    keys = sorted(found, key=lambda k: (rank.get(k, len(rank)), found[k].short_name))
    return [(k, found[k].short_name) for k in keys]
