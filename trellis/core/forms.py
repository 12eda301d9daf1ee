"""Form helpers every app's views share: the browser date widgets and turning a refused service call into a
form error.

Services raise `DomainError(message, field=...)` naming the input at fault; a view shows that message next to
the field when the form has one by that name, otherwise at the top of the form.
"""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.core.errors import DomainError

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def apply_domain_error(form: Any, error: DomainError) -> None:
    """Attach a service's refusal to the form: on the named field if the form has it, else as a form error."""
    field = error.field if error.field in getattr(form, "fields", {}) else None
    form.add_error(field, error.message)
