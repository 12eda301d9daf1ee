from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "trellis.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.compliance.panels import chart_hours, hours_badges, today_hours
        from trellis.core.registry import (
            register_chart_panel,
            register_chart_tab,
            register_hours_badges,
            register_nav,
            register_today_section,
        )

        register_nav("compliance_hours", "Weekly hours", "compliance:worklist", Cap.COMPLIANCE_VIEW, order=32)
        register_nav("requirement_sets", "Hours requirements", "compliance:rule_sets", Cap.COMPLIANCE_CONFIGURE,
                     order=870)
        register_chart_tab("compliance_hours", "Hours", "compliance:patient_hours", Cap.COMPLIANCE_VIEW, order=31)
        register_chart_panel("compliance_hours", "compliance/chart_panel.html", chart_hours,
                             capability=Cap.COMPLIANCE_VIEW, order=5)
        register_today_section("compliance_hours", "compliance/today.html", today_hours,
                               capability=Cap.COMPLIANCE_VIEW, order=40)
        register_hours_badges(hours_badges)
