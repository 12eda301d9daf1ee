from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "trellis.attendance"
    label = "attendance"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.attendance.selectors import attended_hours_by_week, current_care
        from trellis.core.registry import register_chart_panel, register_chart_tab, register_nav
        from trellis.episodes.hooks import register_summary_part

        register_nav("attendance", "Attendance", "attendance:index", Cap.ATTENDANCE_MARK, order=25)
        register_nav("hours", "Treatment hours", "attendance:tracks", Cap.SCHEDULE_VIEW, order=30)
        register_chart_tab("schedule_hours", "Schedule & hours", "attendance:patient_hours", Cap.PATIENT_VIEW, order=30)
        register_summary_part("hours", attended_hours_by_week)
        register_chart_panel("current_care", "attendance/chart_current_care.html", current_care,
                             capability=Cap.PATIENT_VIEW, order=10)
