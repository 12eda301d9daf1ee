"""Print the demo sign-ins, one per role."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trellis.accounts.models import Role, SiteMembership, User
from trellis.core.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demo logins (one per role)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("\nTrellis demo — open http://127.0.0.1:8000 and sign in as any of:\n")
        seen: set[str] = set()
        rows = SiteMembership.objects.select_related("user", "site").order_by("role", "pk")
        for role, label in Role.choices:
            member = next(
                (m for m in rows if m.role == role and m.user.email not in seen and not m.user.force_mfa), None
            )
            if member:
                seen.add(member.user.email)
                self.stdout.write(f"  {label:<22} {member.user.email:<40} ({member.site.name})")

        mfa = User.objects.filter(force_mfa=True).first()
        if mfa:
            self.stdout.write(f"  {'MFA walkthrough':<22} {mfa.email:<40} (asks you to enrol an authenticator app)")
        self.stdout.write(f"\n  Password for every demo account: {DEMO_PASSWORD}\n")
