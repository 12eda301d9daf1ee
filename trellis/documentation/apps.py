from django.apps import AppConfig


class DocumentationConfig(AppConfig):
    name = "trellis.documentation"
    label = "documentation"
    verbose_name = "Documentation"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.accounts.signals import organization_created
        from trellis.attendance.signals import attendance_marked
        from trellis.core.registry import (
            register_chart_panel,
            register_chart_tab,
            register_nav,
            register_today_counter,
        )
        from trellis.documentation.selectors import chart_risk_notices, today_counters

        from . import hooks

        organization_created.connect(hooks.on_organization_created, dispatch_uid="documentation.default_templates")
        attendance_marked.connect(hooks.on_attendance_marked, dispatch_uid="documentation.new_attendees")

        register_nav("notes", "Notes to do", "documentation:worklist", Cap.NOTE_WRITE, order=40)
        register_nav("private_notes", "Private notes", "documentation:private_list", Cap.NOTE_WRITE, order=45)
        register_nav("note_templates", "Note templates", "documentation:template_list", Cap.PROGRAM_MANAGE,
                     order=820)
        register_chart_tab("notes", "Notes", "documentation:chart_notes", Cap.NOTE_WRITE, order=40)
        register_today_counter("notes", today_counters, capability=Cap.NOTE_WRITE, order=10)
        # Unacknowledged high-risk notices stay on the chart until the primary clinician acknowledges them.
        register_chart_panel("risk_notices", "documentation/chart_risk_notices.html", chart_risk_notices,
                             capability=Cap.NOTE_WRITE, order=5)
