from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "trellis.episodes"
    label = "episodes"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_chart_tab

        register_chart_tab("episodes", "Episodes", "episodes:episodes_tab", Cap.PATIENT_VIEW, order=20)
