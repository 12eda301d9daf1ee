"""A GET never writes (audit events aside).

Every URL pattern is requested with GET, with real objects from the demo data set (so pages render, not 404),
by a user of every role, by the authors of a draft note and of a private note, and anonymously. After each
request every table except the audit trail and the sign-in session store must be as it was: same row count,
same highest primary key and same latest ``updated_at``; at the end of each user's walk a checksum of every
row of every table must match the one taken before it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import Client
from django.urls import URLPattern, reverse

from trellis.accounts.models import Role, SiteMembership
from trellis.attendance.minutes import ATTENDED_STATUSES
from trellis.billing import services as billing_services
from trellis.billing.x12.common import Envelope
from trellis.billing.x12.remittance import ClaimPayment, Payment
from trellis.billing.x12.remittance_writer import write_835
from trellis.core import demo
from trellis.core.clock import now
from trellis.core.testing.factories import make_staff
from trellis.core.tests.test_url_walk import ALL_PATTERNS
from trellis.documentation.services import create_private_note, start_note
from trellis.scheduling.services import create_feed_token

pytestmark = pytest.mark.django_db

# The audit trail is written by reads on purpose; the session store holds the signed-in session itself.
EXCLUDED_APPS = {"audit", "sessions"}


def _model(name: str) -> Any:
    """A model by class name, wherever it lives (apps move models between them)."""
    found = [m for m in apps.get_models() if m.__name__ == name and m.__module__.startswith("trellis.")]
    assert len(found) == 1, f"model {name}: {found}"
    return found[0]


def _tables() -> list[tuple[str, str, str | None]]:
    """(table, primary key column, updated_at column or None) of every table the walk watches."""
    out = {}
    for m in apps.get_models(include_auto_created=True):
        meta = m._meta
        if meta.app_label in EXCLUDED_APPS or not meta.managed or meta.proxy or meta.db_table in out:
            continue
        updated = next((f.column for f in meta.concrete_fields if f.name == "updated_at"), None)
        # PostgreSQL has no MAX(uuid) (django_tasks_db's results use UUID keys): compare those as text.
        numeric = meta.pk.get_internal_type() in {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField",
                                                  "BigIntegerField", "OneToOneField", "ForeignKey"}
        out[meta.db_table] = (meta.db_table, meta.pk.column if numeric else f"text:{meta.pk.column}", updated)
    return sorted(out.values())


def _fingerprint(tables: list[tuple[str, str, str | None]]) -> dict[str, tuple]:
    """Per table: row count, highest primary key, latest updated_at (one query)."""
    q = connection.ops.quote_name
    parts = []
    for table, pk, updated in tables:
        last = f"CAST(MAX({q(updated)}) AS TEXT)" if updated else "''"
        top = (f"MAX(CAST({q(pk[5:])} AS TEXT))" if pk.startswith("text:") else f"CAST(MAX({q(pk)}) AS TEXT)")
        parts.append(f"SELECT '{table}', COUNT(*), {top}, {last} FROM {q(table)}")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def _checksum(tables: list[tuple[str, str, str | None]]) -> dict[str, str]:
    """Per table: SHA-256 of every row in primary-key order."""
    q = connection.ops.quote_name
    out = {}
    with connection.cursor() as cursor:
        for table, pk, _ in tables:
            cursor.execute(f"SELECT * FROM {q(table)} ORDER BY {q(pk.removeprefix('text:'))}")  # noqa: S608
            digest = hashlib.sha256()
            for row in cursor.fetchall():
                digest.update(repr(row).encode())
            out[table] = digest.hexdigest()
    return out


def _diff(before: dict, after: dict) -> dict[str, tuple]:
    return {t: (before.get(t), after.get(t)) for t in {*before, *after} if before.get(t) != after.get(t)}


# --------------------------------------------------------------------------------------------------------------
# The data: the demo organization, and for every URL keyword one or more real objects at its first site
# --------------------------------------------------------------------------------------------------------------
def _first(qs: Any, what: str) -> Any:
    obj = qs.first()
    assert obj is not None, f"the demo data has no {what} to walk with"
    return obj


def _claim_batch(ctx: demo.DemoContext) -> Any:
    """A claim batch to walk with. The demo batches only claims older than a week, which a one-week demo may
    not have on every weekday: then batch one scrubbed claim (through the billing services)."""
    batch = _model("ClaimBatch").objects.first()
    if batch is not None:
        return batch
    scrubbed = _first(_model("Claim").objects.filter(status="scrubbed"), "scrubbed claim")
    (batch,) = billing_services.build_batches(organization=ctx.org, claims=[scrubbed])
    return batch


def _suspense_item(ctx: demo.DemoContext) -> Any:
    """A suspense item to walk with. The demo leaves an unknown claim in suspense only in a remittance for its
    submitted claims, which a one-week demo lacks on some days and hours: then post an 835 whose only claim
    is unknown, through the billing services (the import puts it in suspense)."""
    item = _model("SuspenseItem").objects.order_by("pk").first()
    if item is not None:
        return item
    site = ctx.sites[0]
    paid_on = ctx.today - timedelta(days=1)
    payment = Payment("0001", "I", Decimal("45"), "C", "ACH", paid_on, "EFTWALK001", "1512345678",
                      payer_name="Walk Payer", payer_identifier="WALK1", payee_name=ctx.org.name,
                      payee_identifier=site.npi,
                      claims=[ClaimPayment("TR000000000000", "1", Decimal("45"), Decimal("45"), Decimal("0"), "12",
                                           "UNKNOWN1", "11", "1", "UNKNOWN", "PATIENT")])
    envelope = Envelope("WALKPAYER", "TRELLIS", 901, 901, datetime.combine(paid_on, time(12), tzinfo=UTC), usage="T")
    billing_services.import_remittance(content=write_835(envelope, [payment]), organization=ctx.org)
    return _first(_model("SuspenseItem").objects.order_by("pk"), "suspense item")


def _draft_group_note(site: Any) -> Any:
    """A draft group note to walk with. The demo leaves ~10% of older notes as drafts by a seeded roll, so how
    many a one-week demo has depends on the weekday and the hour it runs (none, some nights after midnight UTC):
    then start one, through the documentation services, on the latest past group session with attendance."""
    Note = _model("Note")
    draft = Note.objects.filter(session__site=site, status="draft", kind="group").order_by("-session__starts_at").first()
    if draft is not None:
        return draft
    signed_sessions = Note.objects.filter(kind="group").values("session_id")
    session = _first(_model("Session").objects.filter(
        site=site, episode__isnull=True, ends_at__lt=now(), attendance__status__in=ATTENDED_STATUSES)
        .exclude(pk__in=signed_sessions).distinct().order_by("-starts_at"), "past group session without a note")
    return start_note(session=session, user=session.facilitator)


def _objects(ctx: demo.DemoContext) -> tuple[dict[str, list[Any]], dict[str, Any]]:
    """URL keyword -> candidate values (walked one at a time), and the extra people who see author-only pages."""
    site = ctx.sites[0]
    ParticipantNote = _model("ParticipantNote")
    Attendance, Session = _model("Attendance"), _model("Session")
    draft = _draft_group_note(site)
    # A patient marked present after the draft was started, written below the services (as data from before
    # attendance kept notes in step): viewing the note must show them without adding their section.
    s = draft.session
    latecomer = _first(_model("Episode").objects.filter(program__site=site).exclude(attendance__session=s)
                       .order_by("pk"), "episode not on the draft's session")
    Attendance.objects.create(session=s, episode=latecomer, status="present", minutes=s.minutes,
                              scheduled_minutes=s.minutes, modality="in_person", marked_at=s.ends_at)
    signed_part = _first(ParticipantNote.objects.filter(note__session__site=site, note__status="complete")
                         .select_related("episode__patient").order_by("-note__session__starts_at"),
                         "signed note")
    patient = signed_part.episode.patient
    episode = signed_part.episode
    intake = _first(_model("IntakeAssessment").objects.filter(diagnoses__isnull=False, patient__primary_site=site)
                    .distinct(), "intake with a diagnosis")
    # The demo writes private notes only now and then; the walk always has one (author only).
    private = create_private_note(author=draft.author, episode=episode, text="Process notes for the walk.")
    no_note = _first(Session.objects.filter(site=site, ends_at__lt=now(), attendance__isnull=False)
                     .exclude(notes__isnull=False).distinct(), "ended session without a note")
    future = _first(Session.objects.filter(site=site, starts_at__gt=now()).order_by("starts_at"), "future session")
    program = episode.program
    owner = draft.author
    token, secret = create_feed_token(user=owner, label="Phone")
    values: dict[str, list[Any]] = {
        "patient_id": [patient.public_id],
        "participant_id": [signed_part.public_id],
        "episode_id": [episode.public_id],
        "note_id": [draft.public_id, signed_part.note.public_id],
        "session_id": [draft.session.public_id, no_note.public_id, future.public_id],
        "record_id": [_first(Attendance.objects.filter(session=draft.session), "attendance").public_id],
        "plan_id": [_first(_model("TreatmentPlan").objects.filter(episode__program__site=site), "plan").public_id],
        "consent_id": [_first(_model("Consent").objects.filter(site=site), "consent").public_id],
        "intake_id": [intake.public_id],
        "diagnosis_id": [intake.diagnoses.order_by("pk").first().public_id],
        "screen_id": [_first(_model("SuicideRiskScreen").objects.filter(patient__primary_site=site),
                             "C-SSRS screen").public_id],
        "determination_id": [_first(_model("LevelOfCareDetermination").objects.filter(program__site=site),
                                    "level-of-care determination").public_id],
        "referral_id": [_first(_model("Referral").objects.filter(site=site), "referral").public_id],
        "source_id": [_first(_model("ReferralSource").objects.filter(organization=ctx.org), "source").public_id],
        "program_id": [program.public_id],
        "track_id": [_first(program.tracks.all(), "track").public_id],
        "room_id": [_first(_model("Room").objects.filter(site=site), "room").public_id],
        "series_id": [_first(_model("SessionSeries").objects.filter(site=site), "series").public_id],
        "site_id": [site.public_id],
        "user_id": [owner.public_id],
        "task_id": [_first(_model("HandoffTask").objects.all(), "hand-off task").public_id],
        "template_id": [_first(_model("NoteTemplate").objects.filter(organization=ctx.org), "template").public_id],
        "private_id": [private.public_id],
        "token_id": [token.public_id],
        "secret": [secret],
        "token": [default_token_generator.make_token(owner)],  # a valid password-set link for user_id
        "kind": ["problem"],
        "claim_id": [_first(_model("Claim").objects.all(), "claim").public_id],
        "batch_id": [_claim_batch(ctx).public_id],
        "profile_id": [_first(_model("BillingProfile").objects.all(), "billing profile").public_id],
        "entry_id": [_first(_model("FeeScheduleEntry").objects.all(), "fee schedule entry").public_id],
        "charge_id": [_first(_model("Charge").objects.all(), "charge").public_id],
        "item_id": [_suspense_item(ctx).public_id],
        "link_id": [_first(_model("JoinLink").objects.all(), "telehealth join link").public_id],
        "alert_id": [_first(_model("CriticalAlert").objects.all(), "critical outcome alert").public_id],
        "schedule_id": [_first(_model("AdministrationSchedule").objects.all(), "outcome schedule").public_id],
        "administration_id": [_first(_model("Administration").objects.filter(status="complete"),
                                     "completed administration").public_id],
        "compliance_alert_id": [_first(_model("ComplianceAlert").objects.all(), "compliance alert").public_id],
        "set_id": [_first(_model("RequirementSet").objects.filter(organization=ctx.org), "requirement set").public_id,
                   _first(_model("RequirementSet").objects.filter(organization=None), "built-in set").public_id],
        "payer_id": [_first(_model("Payer").objects.filter(organization=ctx.org), "payer").public_id],
        "coverage_id": [_first(_model("Coverage").objects.filter(patient__primary_site=site), "coverage").public_id],
        "authorization_id": [_first(_model("Authorization").objects.filter(episode__program__site=site),
                                    "authorization").public_id],
        "review_id": [_first(_model("ConcurrentReview").objects.filter(
            authorization__episode__program__site=site, outcome=outcome), f"{outcome} review").public_id
            for outcome in ("pending", "approved")],
    }
    return values, {"draft_author": owner, "private_author": private.author}


def _variants(pattern: URLPattern, values: dict[str, list[Any]]) -> Iterable[dict[str, Any]]:
    """Every candidate of each keyword in turn, the others at their first candidate."""
    names = list(pattern.pattern.converters)
    missing = [n for n in names if n not in values]
    assert not missing, f"{pattern.name}: no demo object for {missing}; add one to _objects()"
    base = {n: values[n][0] for n in names}
    yield base
    for n in names:
        for alt in values[n][1:]:
            yield {**base, n: alt}


@pytest.fixture
def demo_world(db: Any) -> tuple[demo.DemoContext, dict[str, list[Any]], dict[str, Any]]:
    ctx = demo.DemoContext(rng=random.Random(2026), today=now().date(), weeks=1, n_patients=14)
    demo.run(ctx)
    values, extra = _objects(ctx)
    return ctx, values, extra


def _people(ctx: demo.DemoContext, extra: dict[str, Any]) -> list[tuple[str, Any]]:
    site = ctx.sites[0]
    people = []
    for role in Role.values:
        m = SiteMembership.objects.filter(site=site, role=role, user__is_active=True).select_related("user") \
            .order_by("user__email").first()
        people.append((role, m.user if m else make_staff(role, site)))
    return people + sorted(extra.items())


def _walk(get: Callable[[str], Any], values: dict[str, list[Any]], tables: list,
          patterns: Iterable[tuple[str, URLPattern]] = ALL_PATTERNS, *, thorough: bool = False) -> tuple[dict, dict]:
    """GET every route; returns ({route: best status}, {route: tables it changed}). ``thorough`` compares every
    row after each request (slow; used to find the request behind a change the quick check missed)."""
    snapshot = _checksum if thorough else _fingerprint
    statuses: dict[str, int] = {}
    writes: dict[str, dict] = {}
    for name, pattern in patterns:
        for kwargs in _variants(pattern, values):
            url = reverse(name, kwargs=kwargs)
            before = snapshot(tables)
            response = get(url)
            changed = _diff(before, snapshot(tables))
            if changed:
                writes[f"{name} {url}"] = changed
            statuses[name] = min(statuses.get(name, 999), response.status_code)
    return statuses, writes


def test_no_get_route_writes_for_any_role(demo_world, client_for, client):
    ctx, values, extra = demo_world
    tables = _tables()
    clients = [(label, client_for(user)) for label, user in _people(ctx, extra)]  # signing in writes; done here
    clients.append(("anonymous", client))
    # Signed in with a password but not yet enrolled in two-step sign-in (every page leads to enrolment).
    newcomer = make_staff("therapist", ctx.sites[0], force_mfa=True)
    enrolling = Client()
    enrolling.force_login(newcomer)
    clients.append(("not_enrolled", enrolling))
    best: dict[str, int] = {}
    problems: dict[str, dict] = {}
    for label, c in clients:
        c.raise_request_exception = True
        gets = [("", c.get)]
        if label == "org_admin":
            gets.append((" htmx", lambda u, c=c: c.get(u, HTTP_HX_REQUEST="true")))
        for how, get in gets:
            start = _checksum(tables)
            statuses, writes = _walk(get, values, tables)
            if not writes and _diff(start, _checksum(tables)):
                writes = _walk(get, values, tables, thorough=True)[1] or {"?": _diff(start, _checksum(tables))}
            problems.update({f"{label}{how}: {route}": changed for route, changed in writes.items()})
            for name, status in statuses.items():
                best[name] = min(best.get(name, 999), status)
    assert problems == {}, "GET requests that wrote:\n" + "\n".join(f"{k}: {sorted(v)}" for k, v in problems.items())
    # The walk reached real pages: every route that answers GET at all rendered (or redirected) for someone.
    not_reached = sorted(n for n, s in best.items() if s >= 400 and s != 405)
    assert not_reached == [], f"routes no one could open with the demo objects: {not_reached}"


def test_the_walk_reports_a_get_that_writes(demo_world, client_for):
    """The check can fail: a request that changes a row without touching updated_at is reported."""
    ctx, values, _ = demo_world
    tables = _tables()
    c = client_for(SiteMembership.objects.filter(site=ctx.sites[0], role="org_admin").first().user)
    Patient = _model("Patient")
    first = Patient.objects.order_by("pk").first()

    def writing_get(url: str) -> Any:
        Patient.objects.filter(pk=first.pk).update(preferred_name="Changed by a GET")
        return c.get(url)

    start = _checksum(tables)
    _, writes = _walk(writing_get, values, tables, [p for p in ALL_PATTERNS if p[0] == "web:home"])
    assert writes == {}  # the quick check misses an in-place update...
    assert set(_diff(start, _checksum(tables))) == {"patients_patient"}  # ...the checksum does not
    _, writes = _walk(lambda url: (Patient.objects.create(organization=ctx.org, primary_site=ctx.sites[0],
                                                          mrn="X1", legal_first_name="A", legal_last_name="B",
                                                          date_of_birth=first.date_of_birth), c.get(url))[1],
                      values, tables, [p for p in ALL_PATTERNS if p[0] == "web:home"])
    assert list(writes) == [f"web:home {reverse('web:home')}"]
    assert "patients_patient" in writes[f"web:home {reverse('web:home')}"]
