"""Print the demo sign-ins: one per role, and every account the README's tour names (the supervised therapist
and her supervisor, the two-step sign-in walkthrough)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trellis.accounts.models import Role, SiteMembership, StaffProfile, User
from trellis.core.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demo logins and the address the demo is served at (--host/--port, else $HOST/$PORT)."

    def add_arguments(self, parser: CommandParser) -> None:
        # `make demo` passes the HOST and PORT it starts uvicorn with, so the address printed is the one served.
        parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
        parser.add_argument("--port", default=os.environ.get("PORT") or "8000")

    def handle(self, *args: Any, **options: Any) -> None:
        port = str(options["port"]).strip()
        if not port.isdigit() or not 0 < int(port) < 65536:
            self.stderr.write(f"Not a port number: {port!r}; expected 1-65535.")
            port = "8000"
        self.stdout.write(f"\nTrellis demo — open http://{options['host']}:{port} and sign in as any of:\n")
        seen: set[str] = set()
        rows = list(SiteMembership.objects.select_related("user", "site").order_by("role", "pk"))
        supervised = {
            p.user_id: p for p in StaffProfile.objects.filter(requires_cosign=True, supervisor__isnull=False)
            .select_related("user", "supervisor")
        }
        for role, label in Role.choices:
            member = next(
                (m for m in rows if m.role == role and m.user.email not in seen and not m.user.force_mfa
                 and m.user_id not in supervised), None
            )
            if member:
                seen.add(member.user.email)
                self.stdout.write(f"  {label:<22} {member.user.email:<40} ({member.site.name})")

        for profile in supervised.values():
            self.stdout.write(f"  {'Supervised therapist':<22} {profile.user.email:<40} "
                              f"(notes wait for {profile.supervisor.full_name}'s co-signature)")
            self.stdout.write(f"  {'Their supervisor':<22} {profile.supervisor.email:<40} "
                              "(co-signs or returns them)")
        mfa = User.objects.filter(force_mfa=True).first()
        if mfa:
            self.stdout.write(f"  {'MFA walkthrough':<22} {mfa.email:<40} (asks you to enrol an authenticator app)")
        self.stdout.write(f"\n  Password for every demo account: {DEMO_PASSWORD}\n")
