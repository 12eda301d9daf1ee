from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "trellis.episodes"
    label = "episodes"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_chart_tab

        register_chart_tab("episodes", "Episodes", "episodes:episodes_tab", Cap.PATIENT_VIEW, order=20)

        from trellis.core.part2 import register_part2_resolver
        from trellis.episodes.models import Episode

        # A patient with any episode in a Part 2 program has Part 2 records (42 CFR 2.11, 2.12).
        register_part2_resolver(
            lambda patients: Episode.objects.filter(patient__in=patients, program__is_part2=True).exists()
        )
