from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "trellis.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_nav, register_today_section
        from trellis.scheduling.selectors import today_sessions

        register_nav("schedule", "Schedule", "scheduling:week", Cap.SCHEDULE_VIEW, order=20)
        register_today_section("sessions", "scheduling/today_sessions.html", today_sessions, capability=Cap.SCHEDULE_VIEW,
                               order=10)
