from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "trellis.referrals"
    label = "referrals"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.web.navigation import register_nav

        register_nav("referrals", "Referrals", "referrals:board", Cap.REFERRAL_VIEW, order=20)
        register_nav("referral_sources", "Referral sources", "referrals:sources", Cap.REFERRAL_VIEW, order=21)
        register_nav("admission_requirements", "Admission requirements", "referrals:admission_programs",
                     Cap.PROGRAM_MANAGE, order=820)
