"""Form rendering for Trellis.

``FORM_RENDERER = "trellis.web.forms.TrellisFormRenderer"`` makes ``{{ form }}``,
``form.as_div`` and ``{{ form.field.as_field_group }}`` use the Trellis markup:

* label above the field, a required marker, help text and errors tied to the
  input through ``aria-describedby`` (Django sets ``aria-invalid`` and the
  ``<id>_helptext`` / ``<id>_error`` references; the templates here render the
  elements with exactly those ids);
* errors in red with a warning glyph and a visually hidden "Error:" prefix;
* non-field errors in an ``alert`` with ``role="alert"``.

Widget templates still come from Django (``django/forms/widgets/*.html``).
``TemplatesSetting`` finds them through the project's template engines when
``django.forms`` is in INSTALLED_APPS; if it is not, this renderer falls back
to Django's own form engine so a missing setting never breaks a page.
"""

from __future__ import annotations

from functools import cached_property

from django.forms.renderers import DjangoTemplates, TemplatesSetting
from django.template import TemplateDoesNotExist


class TrellisFormRenderer(TemplatesSetting):
    form_template_name = "web/forms/div.html"
    field_template_name = "web/forms/field.html"

    @cached_property
    def _fallback(self) -> DjangoTemplates:
        return DjangoTemplates()

    def get_template(self, template_name: str):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self._fallback.get_template(template_name)
