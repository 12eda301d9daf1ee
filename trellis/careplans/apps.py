from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "trellis.careplans"
    label = "careplans"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.careplans.hooks import connect
        from trellis.careplans.selectors import today_counters
        from trellis.core.registry import register_chart_tab, register_nav, register_today_counter

        register_chart_tab("plan", "Treatment plan", "careplans:tab", Cap.PATIENT_VIEW, order=30)
        register_nav("care_worklist", "Plans due", "careplans:worklist", Cap.PATIENT_VIEW, order=40)
        # Plans and their deadlines concern whoever writes plans or admits (the plan is due from admission).
        register_today_counter("plans", today_counters, capability=Cap.CAREPLAN_WRITE, order=20)
        connect()
