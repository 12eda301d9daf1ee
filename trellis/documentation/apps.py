from django.apps import AppConfig


class DocumentationConfig(AppConfig):
    name = "trellis.documentation"
    label = "documentation"
    verbose_name = "Documentation"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_chart_tab, register_nav, register_today_counter
        from trellis.documentation.selectors import today_counters

        register_nav("notes", "Notes to do", "documentation:worklist", Cap.NOTE_WRITE, order=40)
        register_nav("private_notes", "Private notes", "documentation:private_list", Cap.NOTE_WRITE, order=45)
        register_nav("note_templates", "Note templates", "documentation:template_list", Cap.PROGRAM_MANAGE,
                     order=820)
        register_chart_tab("notes", "Notes", "documentation:chart_notes", Cap.NOTE_WRITE, order=40)
        register_today_counter("notes", today_counters, capability=Cap.NOTE_WRITE, order=10)
