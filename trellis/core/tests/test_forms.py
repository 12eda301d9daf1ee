"""apply_domain_error: a service's refusal lands on the named field, or on the form when it has no such field."""

from django import forms

from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error


class _Form(forms.Form):
    day = forms.DateField()


def test_error_lands_on_the_named_field():
    form = _Form(data={"day": "2026-01-01"})
    assert form.is_valid()
    apply_domain_error(form, DomainError("Pick a weekday.", field="day"))
    assert form.errors == {"day": ["Pick a weekday."]}


def test_error_for_an_unknown_or_missing_field_is_a_form_error():
    form = _Form(data={"day": "2026-01-01"})
    assert form.is_valid()
    apply_domain_error(form, DomainError("Someone else changed it.", field="version"))
    apply_domain_error(form, DomainError("Not allowed."))
    assert form.non_field_errors() == ["Someone else changed it.", "Not allowed."]
    assert "day" not in form.errors
