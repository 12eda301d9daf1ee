"""Payers, patient coverages, authorizations and concurrent (utilization) reviews."""
from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "trellis.coverage"
    label = "coverage"
    verbose_name = "Coverage"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_chart_tab, register_nav, register_today_counter
        from trellis.coverage import panels
        from trellis.coverage.selectors import today_counters
        from trellis.episodes.hooks import register_admission_panel, register_episode_panel

        register_nav("coverage_worklist", "Authorizations & reviews", "coverage:worklist", Cap.AUTHORIZATION_MANAGE,
                     order=52)
        register_nav("coverage_payers", "Payers", "coverage:payers", Cap.PAYER_MANAGE, order=835)
        register_chart_tab("coverage", "Coverage", "coverage:chart", Cap.COVERAGE_VIEW, order=55)
        register_today_counter("coverage", today_counters, capability=Cap.AUTHORIZATION_MANAGE, order=55)
        register_episode_panel("coverage", "coverage/_episode_panel.html", panels.episode_panel, order=40)
        register_admission_panel("coverage", "coverage/_admission_panel.html", panels.admission_panel, order=10)
