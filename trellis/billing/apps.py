from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "trellis.billing"
    label = "billing"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.billing.selectors import today_counters
        from trellis.core.registry import register_nav, register_today_counter

        register_nav("billing", "Billing", "billing:home", Cap.BILLING_VIEW, order=60)
        register_today_counter("billing", today_counters, capability=Cap.BILLING_VIEW, order=60)

        # --- charge capture as a background task (billing2) ---------------------------------------------
        from django.db.models.signals import post_save

        from trellis.attendance.signals import attendance_marked
        from trellis.billing import hooks
        from trellis.documentation.models import Note

        attendance_marked.connect(hooks.on_attendance_marked, dispatch_uid="billing.capture_on_attendance")
        post_save.connect(hooks.on_note_saved, sender=Note, dispatch_uid="billing.capture_on_note_complete")
        # --- end charge capture ---------------------------------------------------------------------------

        # --- billing KPIs for directors and admins (billing2): aggregates only, no patient data ------------
        register_nav("billing_kpis", "Billing KPIs", "billing:kpi_ar", Cap.BILLING_INSIGHT, order=61)
        # --- end billing KPIs -----------------------------------------------------------------------------
