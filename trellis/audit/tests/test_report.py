from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.audit.models import AuditAction, AuditEvent
from trellis.audit.services import record

pytestmark = pytest.mark.django_db


def test_admin_filters_by_patient_and_exports_csv(client_for, make_staff, patient, site):
    admin = make_staff("org_admin")
    therapist = make_staff("therapist")
    record(action=AuditAction.READ, obj=patient, actor=therapist)
    c = client_for(admin)
    page = c.get(reverse("audit:report"), {"patient": str(patient.public_id), "actor": str(therapist.public_id)})
    assert page.status_code == 200
    body = page.content.decode()
    assert therapist.email in body and patient.mrn in body
    export = c.get(reverse("audit:report"), {"patient": str(patient.public_id), "format": "csv"})
    rows = b"".join(export.streaming_content).decode().splitlines()
    assert rows[0].startswith("event,time (UTC),user")
    assert any(patient.mrn in row for row in rows[1:])
    assert AuditEvent.objects.filter(actor=admin, action=AuditAction.EXPORT).exists()


def test_bad_date_range_is_a_message_not_a_500(client_for, make_staff):
    c = client_for(make_staff("org_admin"))
    response = c.get(reverse("audit:report"), {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 200
    assert b"end date is before the start date" in response.content
    assert c.get(reverse("audit:report"), {"start": "not-a-date"}).status_code == 200


def test_therapist_cannot_open_audit_report(client_for, make_staff):
    assert client_for(make_staff("therapist")).get(reverse("audit:report")).status_code == 403


def test_times_are_shown_in_the_sites_zone(client_for, make_staff, patient):
    import datetime as dt

    import time_machine

    admin = make_staff("org_admin")  # the site is America/New_York
    with time_machine.travel(dt.datetime(2026, 1, 15, 17, 30, tzinfo=dt.UTC), tick=False):
        record(action=AuditAction.READ, obj=patient, actor=admin)
    body = client_for(admin).get(reverse("audit:report")).content.decode()
    assert "Jan 15, 2026 12:30 EST" in body


def test_report_pages_by_keyset_without_counting_the_trail(client_for, make_staff, patient):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    admin = make_staff("org_admin")
    c = client_for(admin)
    c.get(reverse("audit:report"))  # warm-up (sessions, OTP device)
    counts = []
    for total in (60, 180):
        AuditEvent.objects.bulk_create(
            [AuditEvent(occurred_at="2026-01-01T10:00:00+00:00", action="read", object_id=str(i), content_hash="0" * 64,
                        patient=patient, site=patient.primary_site) for i in range(total - AuditEvent.objects.count())]
        )
        with CaptureQueriesContext(connection) as ctx:
            first = c.get(reverse("audit:report"))
        counts.append(len(ctx.captured_queries))
        assert not any("COUNT(" in q["sql"].upper() and "audit_auditevent" in q["sql"] for q in ctx.captured_queries)
    assert counts[0] == counts[1]
    page1 = first.context["page"]
    ids = [e.pk for e in page1.object_list]
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    assert page1.newer_cursor is None and page1.older_cursor == ids[-1]
    second = c.get(reverse("audit:report"), {"before": page1.older_cursor}).context["page"]
    older = list(AuditEvent.objects.filter(id__lt=ids[-1]).order_by("-id").values_list("id", flat=True)[:50])
    assert [e.pk for e in second.object_list] == older
    assert second.newer_cursor == older[0] and second.older_cursor == older[-1]
    back = c.get(reverse("audit:report"), {"after": second.newer_cursor}).context["page"]
    newer = list(AuditEvent.objects.filter(id__gt=older[0]).order_by("id").values_list("id", flat=True)[:50])
    assert [e.pk for e in back.object_list] == newer[::-1]
    body = c.get(reverse("audit:report"), {"before": page1.older_cursor}).content.decode()
    assert f"before={older[-1]}" in body and f"after={older[0]}" in body
    assert c.get(reverse("audit:report"), {"before": "x' or 1=1"}).status_code == 200


def test_report_reads_each_site_newest_first_on_an_index_not_by_sorting_the_trail(make_staff, patient):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trellis.audit.selectors import audit_page_for

    if connection.vendor != "sqlite":
        pytest.skip("the plan text checked here is SQLite's; PostgreSQL is measured in bench/")
    admin = make_staff("org_admin")
    AuditEvent.objects.bulk_create(
        [AuditEvent(occurred_at="2026-01-01T10:00:00+00:00", action="read", content_hash="0" * 64,
                    site=patient.primary_site if i % 2 else None) for i in range(300)]
    )
    with CaptureQueriesContext(connection) as ctx:
        page = audit_page_for(admin)
    assert len(page.object_list) == 50 and page.older_cursor is not None
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            if 'FROM "audit_auditevent"' not in query["sql"] or "LIMIT" not in query["sql"]:
                continue
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plan = " / ".join(row[-1] for row in cursor.fetchall())
            assert "TEMP B-TREE" not in plan and "audit_site_id" in plan, plan


def test_roles_are_words_and_times_stay_on_one_line(client_for, make_staff, patient):
    admin = make_staff("org_admin")
    director = make_staff("program_director")
    record(action=AuditAction.READ, obj=patient, actor=director)
    body = client_for(admin).get(reverse("audit:report")).content.decode()
    assert "Program director" in body and ">program_director<" not in body
    assert 'class="nowrap">' in body


def test_patient_filter_by_mrn_keeps_the_mrn_out_of_the_url(client_for, make_staff, patient, site, other_site):
    from trellis.core.testing.factories import PatientFactory

    admin = make_staff("org_admin")
    therapist = make_staff("therapist")
    other = PatientFactory(primary_site=site)
    record(action=AuditAction.READ, obj=patient, actor=therapist)
    record(action=AuditAction.READ, obj=other, actor=therapist)
    c = client_for(admin)
    response = c.post(reverse("audit:report"), {"mrn": patient.mrn})
    assert response.status_code == 302
    assert patient.mrn not in response.url and str(patient.public_id) in response.url
    body = c.get(response.url).content.decode()
    assert "Showing events for one patient" in body and patient.mrn in body and other.mrn not in body
    # an unknown MRN, or one at a site the reviewer cannot see, is a message, not a leak
    elsewhere = PatientFactory(primary_site=other_site)
    for mrn in ("NOPE123", elsewhere.mrn):
        response = c.post(reverse("audit:report"), {"mrn": mrn}, follow=True)
        assert b"No patient with that MRN" in response.content
    assert c.post(reverse("audit:report"), {"mrn": ""}, follow=True).status_code == 200
    # a role without the audit capability is refused the POST too
    assert client_for(therapist).post(reverse("audit:report"), {"mrn": patient.mrn}).status_code == 403
