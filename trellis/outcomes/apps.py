from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "trellis.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.web.navigation import register_chart_tab, register_nav

        register_nav("outcomes_due", "Measures due", "outcomes:due", Cap.OUTCOMES_INVITE, order=48)
        register_nav("outcomes_alerts", "Outcome alerts", "outcomes:alerts", Cap.OUTCOMES_VIEW, order=49)
        register_nav("outcomes_report", "Outcomes report", "outcomes:report", Cap.OUTCOMES_REPORT, order=70)
        register_nav("outcomes_config", "Outcome measures", "outcomes:schedules", Cap.OUTCOMES_CONFIGURE, order=830)
        register_chart_tab("outcomes", "Outcomes", "outcomes:chart", Cap.OUTCOMES_VIEW, order=45)
