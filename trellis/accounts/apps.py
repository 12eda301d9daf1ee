from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trellis.accounts"
    label = "accounts"

    def ready(self) -> None:
        from trellis.accounts import signals  # noqa: F401  (connects the sign-in audit receivers)
        from trellis.accounts.policies import roles_of, sites_with
        from trellis.audit.context import register_roles_resolver
        from trellis.core.access import register_site_resolver

        register_site_resolver(lambda user, capability: [site.pk for site in sites_with(user, capability)])
        register_roles_resolver(lambda user: ",".join(sorted(roles_of(user))))
