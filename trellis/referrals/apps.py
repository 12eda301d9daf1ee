from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "trellis.referrals"
    label = "referrals"

    def ready(self) -> None:
        from trellis.accounts.capabilities import Cap
        from trellis.core.registry import register_nav, register_today_counter
        from trellis.referrals.selectors import today_counters

        register_nav("referrals", "Referrals", "referrals:board", Cap.REFERRAL_VIEW, order=20)
        register_nav("referral_sources", "Referral sources", "referrals:sources", Cap.REFERRAL_VIEW, order=21)
        register_nav("admission_requirements", "Admission requirements", "referrals:admission_programs",
                     Cap.PROGRAM_MANAGE, order=820)
        register_today_counter("referrals", today_counters, capability=Cap.REFERRAL_MANAGE, order=30)
