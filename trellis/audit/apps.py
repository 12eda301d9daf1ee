from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "trellis.audit"
    label = "audit"

    def ready(self) -> None:
        from trellis.audit.services import record_scoped_denial, record_scoped_read
        from trellis.core.access import register_audit_hooks

        register_audit_hooks(read=record_scoped_read, denial=record_scoped_denial)
