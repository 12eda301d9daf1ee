"""Scrubbing a batch of claims is bounded in queries: the Part 2 consent check (42 CFR 2.31/2.33) is one
query for the whole batch, and the claims' updates and audit events are written in bulk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from trellis.billing import services
from trellis.billing.models import ClaimStatus
from trellis.billing.tests.conftest import MONDAY, TODAY
from trellis.consents.models import ConsentKind
from trellis.consents.services import create_consent, sign_consent

pytestmark = pytest.mark.django_db


def _part2_claims(world, n: int, *, start: int = 0) -> list:
    world.program.is_part2 = True
    world.program.save()
    episodes = [world.patient(n=start + i) for i in range(n)]
    for i, ep in enumerate(episodes):
        world.attend(ep, MONDAY, start=dt.time(8 + i % 8, 0))
        if i % 2 == 0:  # every other patient signed a Part 2 consent naming the payer
            consent = create_consent(patient=ep.patient, site=world.site, kind=ConsentKind.PART2, created_by=None,
                                     recipient_name="Acme Health", information="Claims data", purpose="Payment",
                                     expires_on=dt.date.today() + dt.timedelta(days=365))
            sign_consent(consent=consent, signer_name=f"Jane Doe{start + i}", collected_by=None, ip_address=None,
                         signed_at=dt.datetime(2026, 1, 2, 15, 0, tzinfo=dt.UTC))
    services.capture_charges(organization=world.site.organization, through=TODAY, coverage_for=world.coverage_for)
    claims, left = services.create_claims(organization=world.site.organization, coverage_for=world.coverage_for,
                                          authorization_for=world.authorization_for)
    assert left == [] and len(claims) == n
    return sorted(claims, key=lambda c: c.episode.patient.legal_last_name)


def _scrub(claims) -> tuple[dict, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        results = services.scrub_claims(claims=claims, today=TODAY)
    return results, [q["sql"] for q in ctx.captured_queries]


def test_part2_scrub_is_one_consent_query_and_bounded_at_two_sizes(world) -> None:
    small = _part2_claims(world, 2)
    results, small_sql = _scrub(small)
    assert [bool(results[c.pk]) for c in small] == [False, True]  # Doe0 consented, Doe1 did not
    assert [p.rule for p in results[small[1].pk]] == ["part2_consent"]
    large = _part2_claims(world, 6, start=2)
    results, large_sql = _scrub(large)
    assert [bool(results[c.pk]) for c in large] == [False, True] * 3
    consent_queries = [sql for sql in large_sql if 'FROM "consents_consent"' in sql]
    assert len(consent_queries) == 1
    assert len(large_sql) == len(small_sql)  # 6 claims cost what 2 do


def test_bulk_scrub_still_records_status_and_one_audit_event_per_claim(world) -> None:
    from trellis.audit.models import AuditEvent

    claims = _part2_claims(world, 2)
    ids = [str(c.public_id) for c in claims]
    before = AuditEvent.objects.filter(object_id__in=ids).count()
    services.scrub_claims(claims=claims, today=TODAY)
    for claim in claims:
        claim.refresh_from_db()
    assert [c.status for c in claims] == [ClaimStatus.SCRUBBED, ClaimStatus.DRAFT]
    assert claims[1].scrub_problems[0]["rule"] == "part2_consent"
    assert AuditEvent.objects.filter(object_id__in=ids).count() == before + 2
