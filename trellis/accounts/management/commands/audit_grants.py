"""Who held which role at which site, now or as of a date — for access reviews (HIPAA 45 CFR
164.308(a)(4)(ii)(C) access establishment and modification; 164.308(a)(1)(ii)(D) information system
activity review).

As of a date, each person's roles are the `roles_after` of the newest role change audited up to the end of
that day (UTC); a person whose roles were never changed through Trellis since then keeps the memberships
that existed at the time (created on or before that day and still present).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trellis.accounts.models import SiteMembership, User
from trellis.audit.models import AuditEvent


def grants_as_of(day: date | None) -> list[tuple[str, str, str, str]]:
    """(site code, role, e-mail, source) rows sorted by site, role and person."""
    memberships = SiteMembership.objects.select_related("site", "user")
    if day is None:
        return sorted((m.site.code, m.role, m.user.email, "current") for m in memberships)
    end = datetime.combine(day, time.max, tzinfo=UTC)
    rows: set[tuple[str, str, str, str]] = set()
    audited: dict[str, list[str]] = {}
    changes = (AuditEvent.objects.filter(object_type="user", occurred_at__lte=end, detail__has_key="roles_after")
               .order_by("id").values_list("object_id", "detail"))
    for object_id, detail in changes.iterator(chunk_size=2000):
        audited[object_id] = list(detail.get("roles_after") or [])
    emails = {str(pid): email for pid, email in
              User.objects.filter(public_id__in=list(audited)).values_list("public_id", "email")}
    for public_id, labels in audited.items():
        email = emails.get(public_id, public_id)
        for label in labels:
            site_code, _, role = label.partition(":")
            rows.add((site_code, role, email, "audited change"))
    for m in memberships.filter(created_at__lte=end):
        if str(m.user.public_id) not in audited:
            rows.add((m.site.code, m.role, m.user.email, "membership"))
    return sorted(rows)


class Command(BaseCommand):
    help = "List who holds which role at which site, now or as of a date (--as-of YYYY-MM-DD)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", default=None, help="a date (YYYY-MM-DD); default: now")

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options["as_of"]:
            try:
                day = date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError("--as-of takes a date as YYYY-MM-DD, e.g. 2026-01-31") from exc
        rows = grants_as_of(day)
        self.stdout.write(f"Role grants as of {day.isoformat() if day else 'now'} ({len(rows)}):")
        for site_code, role, email, source in rows:
            self.stdout.write(f"{site_code}\t{role}\t{email}\t{source}")
