from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "trellis.scheduling"
    label = "scheduling"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.web.navigation import register_nav

        register_nav("schedule", "Schedule", "scheduling:week", Cap.SCHEDULE_VIEW, order=20)
