from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "trellis.careplans"
    label = "careplans"
