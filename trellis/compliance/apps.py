from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "trellis.compliance"
    label = "compliance"
    verbose_name = "Compliance"
