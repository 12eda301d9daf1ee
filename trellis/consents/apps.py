from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "trellis.consents"
    label = "consents"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_chart_tab

        register_chart_tab("consents", "Consents", "consents:tab", Cap.PATIENT_VIEW, order=40)
