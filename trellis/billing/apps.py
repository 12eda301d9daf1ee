from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "trellis.billing"
    label = "billing"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.billing.boundary import register_coverage_source
        from trellis.billing.coverage_source import SOURCE
        from trellis.billing.selectors import today_counters
        from trellis.core.registry import register_nav, register_today_counter

        register_nav("billing", "Billing", "billing:home", Cap.BILLING_VIEW, order=60)
        register_today_counter("billing", today_counters, capability=Cap.BILLING_VIEW, order=60)
        # Claims take payer, coverage and authorization from the coverage app's records (issue 14 boundary).
        register_coverage_source(SOURCE)
