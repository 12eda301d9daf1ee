from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "trellis.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import (
            register_chart_panel,
            register_chart_tab,
            register_nav,
            register_plan_review_panel,
            register_today_counter,
        )
        from trellis.outcomes.selectors import (
            chart_panel,
            plan_review_panel,
            today_alert_counters,
            today_due_counters,
        )

        register_nav("outcomes_due", "Measures due", "outcomes:due", Cap.OUTCOMES_INVITE, order=48)
        register_nav("outcomes_alerts", "Outcome alerts", "outcomes:alerts", Cap.OUTCOMES_VIEW, order=49)
        register_nav("outcomes_report", "Outcomes report", "outcomes:report", Cap.OUTCOMES_REPORT, order=70)
        register_nav("outcomes_config", "Outcome measures", "outcomes:schedules", Cap.OUTCOMES_CONFIGURE, order=830)
        register_chart_tab("outcomes", "Outcomes", "outcomes:chart", Cap.OUTCOMES_VIEW, order=45)
        register_chart_panel("outcomes_latest", "outcomes/chart_panel.html", chart_panel,
                             capability=Cap.OUTCOMES_VIEW, order=20)
        register_plan_review_panel("outcomes_trends", "outcomes/review_panel.html", plan_review_panel,
                                   capability=Cap.OUTCOMES_VIEW, order=10)
        register_today_counter("outcomes_alerts", today_alert_counters, capability=Cap.OUTCOMES_VIEW, order=5)
        register_today_counter("outcomes_due", today_due_counters, capability=Cap.OUTCOMES_INVITE, order=50)
