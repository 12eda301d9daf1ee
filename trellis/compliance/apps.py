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
        from trellis.compliance.dashboard import today_counters
        from trellis.core.registry import register_nav, register_today_counter

        attendance_marked.connect(on_attendance_marked, dispatch_uid="compliance_hours_alerts")
        register_nav("compliance_worklist", "Compliance alerts", "compliance:worklist", Cap.COMPLIANCE_WORKLIST,
                     order=46)
        register_nav("compliance_dashboard", "Compliance", "compliance:dashboard", Cap.COMPLIANCE_DASHBOARD,
                     order=60)
        register_nav("compliance_audit_report", "Audit readiness", "compliance:audit_report",
                     Cap.COMPLIANCE_AUDIT_REPORT, order=72)
        register_today_counter("compliance_alerts", today_counters, capability=Cap.COMPLIANCE_WORKLIST, order=8)
