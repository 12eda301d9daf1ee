from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "trellis.coverage"
    label = "coverage"
    verbose_name = "Coverage"
