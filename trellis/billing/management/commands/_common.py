"""Shared argument handling for the billing commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from trellis.accounts.models import Organization


def organization_from(value: str | None) -> Organization:
    if value:
        org = Organization.objects.filter(public_id=value).first()
        if org is None:
            raise CommandError(f"No organization with id {value}.")
        return org
    orgs = list(Organization.objects.all()[:2])
    if not orgs:
        raise CommandError("There is no organization yet.")
    if len(orgs) > 1:
        raise CommandError("Several organizations exist: pass --organization <public id>.")
    return orgs[0]
