from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "trellis.careplans"
    label = "careplans"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.careplans.hooks import connect
        from trellis.web.navigation import register_chart_tab, register_nav

        register_chart_tab("plan", "Treatment plan", "careplans:tab", Cap.PATIENT_VIEW, order=30)
        register_nav("care_worklist", "Plans due", "careplans:worklist", Cap.PATIENT_VIEW, order=40)
        connect()
