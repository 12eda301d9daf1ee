"""Weekly-hours requirement sets, the compliance engine, alerts, worklists and audit-readiness reports."""
from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "trellis.compliance"
    label = "compliance"
    verbose_name = "Compliance"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.attendance.signals import attendance_marked
        from trellis.compliance.alerts import on_attendance_marked
        from trellis.compliance.dashboard import (
            authorization_usage,
            authorization_usage_bound,
            today_counters,
        )
        from trellis.compliance.panels import (
            chart_header_hours,
            chart_hours,
            hours_badges,
            today_hours,
            ur_packet_panel,
        )
        from trellis.core.registry import (
            register_chart_header_item,
            register_chart_panel,
            register_chart_tab,
            register_hours_badges,
            register_nav,
            register_today_counter,
            register_today_section,
        )
        from trellis.coverage.usage import register_usage_provider

        register_nav("compliance_hours", "Weekly hours", "compliance:worklist", Cap.COMPLIANCE_VIEW, order=32)
        register_nav("requirement_sets", "Hours requirements", "compliance:rule_sets", Cap.COMPLIANCE_CONFIGURE,
                     order=870)
        register_chart_tab("compliance_hours", "Hours", "compliance:patient_hours", Cap.COMPLIANCE_VIEW, order=31)
        register_chart_panel("compliance_hours", "compliance/chart_panel.html", chart_hours,
                             capability=Cap.COMPLIANCE_VIEW, order=5)
        register_chart_header_item("compliance_hours", chart_header_hours, capability=Cap.COMPLIANCE_VIEW, order=10)
        register_chart_panel("compliance_ur_packet", "compliance/ur_packet_panel.html", ur_packet_panel,
                             capability=Cap.DISCLOSURE_MAKE, order=60)
        register_today_section("compliance_hours", "compliance/today.html", today_hours,
                               capability=Cap.COMPLIANCE_VIEW, order=40)
        register_hours_badges(hours_badges)
        # compliance operations: alerts computed when attendance is saved, their worklist, dashboard, audit report
        register_usage_provider(authorization_usage, bound=authorization_usage_bound)
        attendance_marked.connect(on_attendance_marked, dispatch_uid="compliance_hours_alerts")
        register_nav("compliance_alerts", "Compliance alerts", "compliance:alerts", Cap.COMPLIANCE_WORKLIST,
                     order=33)
        register_nav("compliance_dashboard", "Compliance dashboard", "compliance:dashboard",
                     Cap.COMPLIANCE_DASHBOARD, order=60)
        register_nav("compliance_audit_report", "Audit readiness", "compliance:audit_report",
                     Cap.COMPLIANCE_AUDIT_REPORT, order=72)
        register_today_counter("compliance_alerts", today_counters, capability=Cap.COMPLIANCE_WORKLIST, order=8)
