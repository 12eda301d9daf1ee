from django.apps import AppConfig


class DocumentationConfig(AppConfig):
    name = "trellis.documentation"
    label = "documentation"
