from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "trellis.consents"
    label = "consents"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_chart_tab

        register_chart_tab("consents", "Consents", "consents:tab", Cap.PATIENT_VIEW, order=40)

        from trellis.consents.part2 import ABBREVIATED_NOTICE, REDISCLOSURE_NOTICE
        from trellis.core.part2 import register_notice_texts

        register_notice_texts(full=REDISCLOSURE_NOTICE, short=ABBREVIATED_NOTICE)
