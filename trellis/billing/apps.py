from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "trellis.billing"
    label = "billing"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.web.navigation import register_nav

        # Until trellis.core.registry lands on main (then: trellis.core.registry.register_nav).
        register_nav("billing", "Billing", "billing:home", Cap.BILLING_VIEW, order=60)
