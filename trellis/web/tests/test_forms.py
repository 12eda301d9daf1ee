"""TrellisFormRenderer: labels, help text and errors tied to inputs for assistive technology."""

from __future__ import annotations

import re

from django import forms


class SampleForm(forms.Form):
    name = forms.CharField(help_text="Shown on the roster.")
    minutes = forms.IntegerField(min_value=1)
    telehealth = forms.BooleanField(required=False, help_text="Patients may join by video.")
    kind = forms.ChoiceField(choices=[("g", "Group"), ("i", "Individual")], widget=forms.RadioSelect)

    def clean(self):
        raise forms.ValidationError("The room is already booked at that time.")


def test_renderer_is_configured():
    from django.forms.renderers import get_default_renderer

    from trellis.web.forms import TrellisFormRenderer

    assert isinstance(get_default_renderer(), TrellisFormRenderer)


def test_unbound_form_markup():
    html = str(SampleForm())
    assert (
        '<label class="field-label" for="id_name">Name<span class="required" aria-hidden="true">*</span></label>'
        in html
    )
    assert 'id="id_name_helptext"' in html
    assert re.search(r'<input[^>]*aria-describedby="id_name_helptext"[^>]*id="id_name"', html)
    # Checkbox: input first, label after it.
    assert html.index('id="id_telehealth"') < html.index('<label for="id_telehealth">')
    # Radio group: fieldset + legend.
    assert "<fieldset" in html and '<legend class="field-label">Kind' in html
    assert "aria-invalid" not in html


def test_bound_form_errors_are_linked_and_announced():
    form = SampleForm({"name": "", "minutes": "-1", "kind": "g"})
    assert not form.is_valid()
    html = str(form)
    assert 'role="alert"' in html and "The room is already booked at that time." in html
    assert 'id="id_name_error"' in html and 'id="id_minutes_error"' in html
    name_input = re.search(r"<input[^>]*id=\"id_name\"[^>]*>", html).group(0)
    assert 'aria-invalid="true"' in name_input
    assert 'aria-describedby="id_name_helptext id_name_error"' in name_input
    assert '<span class="visually-hidden">Error:</span>' in html
    assert "has-error" in html


def test_field_group_for_single_field():
    form = SampleForm({"minutes": "x"})
    form.is_valid()
    html = form["minutes"].as_field_group()
    assert 'class="field field-number has-error is-required"' in html
    assert "Enter a whole number." in html
