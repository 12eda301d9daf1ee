from django.forms.renderers import TemplatesSetting


class TrellisFormRenderer(TemplatesSetting):
    """Project form renderer (the web helper adds accessible field templates)."""
