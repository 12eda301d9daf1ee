from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "trellis.consents"
    label = "consents"
