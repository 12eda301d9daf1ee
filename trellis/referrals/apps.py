from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "trellis.referrals"
    label = "referrals"
