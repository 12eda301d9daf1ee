"""Acknowledging an alert or notice about a patient: who, when and the action taken - the shape shared by
outcomes' critical-answer alerts and documentation's risk notices (TJC NPSG.15.01.01 EP 5-6: a patient at risk
of suicide is followed up, and the follow-up is documented)."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.core.errors import DomainError

MIN_ACTION_CHARS = 5
MAX_ACTION_CHARS = 2000
ACTION_HELP = "What you did: e.g. called the patient, assessed risk, reviewed the safety plan, escalated."


def clean_action_taken(text: Any) -> str:
    """The action taken, stripped and bounded; refused when it says nothing."""
    action = str(text or "").strip()
    if len(action) < MIN_ACTION_CHARS:
        raise DomainError("Describe the action taken (for example: risk assessed, safety plan reviewed).",
                          field="action_taken")
    return action[:MAX_ACTION_CHARS]


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(label="Action taken", widget=forms.Textarea(attrs={"rows": 3}),
                                   max_length=MAX_ACTION_CHARS, help_text=ACTION_HELP)
