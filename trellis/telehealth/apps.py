from django.apps import AppConfig


class TelehealthConfig(AppConfig):
    name = "trellis.telehealth"
    label = "telehealth"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_nav, register_session_panel, register_today_section
        from trellis.telehealth.selectors import session_waiting, today_waiting

        register_nav("telehealth", "Virtual lobby", "telehealth:lobby", Cap.TELEHEALTH_LOBBY, order=27)
        register_nav("telehealth_rooms", "Waiting rooms", "telehealth:rooms", Cap.TELEHEALTH_MANAGE, order=860)
        register_today_section("telehealth_waiting", "telehealth/today_waiting.html", today_waiting,
                               capability=Cap.TELEHEALTH_LOBBY, order=15)
        register_session_panel("telehealth_waiting", "telehealth/session_waiting.html", session_waiting,
                               capability=Cap.TELEHEALTH_LOBBY, order=10)
