from django.apps import AppConfig


class TelehealthConfig(AppConfig):
    name = "trellis.telehealth"
    label = "telehealth"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.web.navigation import register_nav

        register_nav("telehealth", "Virtual lobby", "telehealth:lobby", Cap.TELEHEALTH_LOBBY, order=27)
        register_nav("telehealth_rooms", "Waiting rooms", "telehealth:rooms", Cap.TELEHEALTH_MANAGE, order=860)
