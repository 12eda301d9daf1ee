from django.apps import AppConfig
from django.core.signals import got_request_exception

from trellis.core.health import mark_outage


class CoreConfig(AppConfig):
    name = "trellis.core"
    label = "core"

    def ready(self) -> None:
        got_request_exception.connect(mark_outage, dispatch_uid="trellis.core.health.mark_outage")
