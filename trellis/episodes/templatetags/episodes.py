"""{% intake_diagnoses intake editable %}: the diagnoses of an intake and, while it is a draft, the form to add
one (diagnoses belong to episodes; the intake page, in referrals, shows them through this tag)."""

from __future__ import annotations

from typing import Any

from django import template

from trellis.core.clock import today_in
from trellis.episodes.forms import DiagnosisForm
from trellis.episodes.selectors import intake_diagnoses as intake_diagnoses_of
from trellis.episodes.services import first_rank

register = template.Library()


@register.inclusion_tag("episodes/_intake_diagnoses.html")
def intake_diagnoses(intake: Any, editable: bool) -> dict[str, Any]:
    return {
        "intake": intake,
        "editable": editable,
        "diagnoses": intake_diagnoses_of(intake),
        "dx_form": DiagnosisForm(initial={"diagnosed_on": today_in(intake.site.zone),
                                          "rank": first_rank(intake=intake)}),
    }
