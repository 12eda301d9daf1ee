from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "trellis.web"
    label = "web"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_chart_tab, register_nav

        register_nav("home", "Today", "web:home", None, order=0)
        register_nav("patients", "Patients", "web:census", Cap.PATIENT_VIEW, order=10)  # census + quick search
        register_nav("staff", "Staff", "accounts:staff_list", Cap.STAFF_MANAGE, order=880)
        register_nav("organization", "Organization", "accounts:organization", Cap.ORG_MANAGE, order=890)
        register_nav("audit", "Audit trail", "audit:report", Cap.AUDIT_VIEW, order=900)
        register_chart_tab("overview", "Overview", "patients:chart", Cap.PATIENT_VIEW, order=0)
