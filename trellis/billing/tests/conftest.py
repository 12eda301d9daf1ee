"""Billing fixtures: a site with an IOP program, clinicians with NPIs, profiles and fee schedules, attended
services with (un)signed notes, and a coverage lookup standing in for the coverage app (plain dataclasses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from trellis.accounts.models import Credential
from trellis.attendance.models import Attendance
from trellis.billing.boundary import (
    AuthorizationInfo,
    CoverageInfo,
    CoverageSource,
    PayerInfo,
    coverage_source,
    register_coverage_source,
)
from trellis.billing.models import BillingMode, BillingProfile, ClaimType, FeeScheduleEntry
from trellis.careplans.models import PlanStatus, TreatmentPlan
from trellis.core.testing.factories import PatientFactory
from trellis.documentation.models import Note, NoteKind, NoteStatus, ParticipantNote
from trellis.documentation.services import ensure_default_templates
from trellis.episodes.models import Diagnosis
from trellis.scheduling.testing import admit, make_program, make_session, make_track

MONDAY = dt.date(2026, 1, 5)
TODAY = dt.date(2026, 1, 20)
ACME = PayerInfo("ACME1", "Acme Health", "CI", timely_filing_days=180)
MEDICARE = PayerInfo("MCRA1", "Medicare Part A", "MA", timely_filing_days=365)
SOURCE = "Test contract 2026"


@dataclass
class World:
    site: Any
    program: Any
    track: Any
    therapist: Any
    prescriber: Any
    per_service: BillingProfile
    per_diem: BillingProfile
    coverage: dict[int, CoverageInfo] = field(default_factory=dict)
    auths: dict[int, AuthorizationInfo] = field(default_factory=dict)
    template_version: Any = None

    def coverage_for(self, episode: Any, day: dt.date) -> CoverageInfo | None:
        cov = self.coverage.get(episode.pk)
        return cov if cov and cov.active_on(day) else None

    def authorization_for(self, episode: Any, day: dt.date) -> AuthorizationInfo | None:
        return self.auths.get(episode.pk)

    def patient(self, payer: PayerInfo = ACME, *, level_program: Any = None, n: int = 0) -> Any:
        patient = PatientFactory(primary_site=self.site, legal_first_name="Jane", legal_last_name=f"Doe{n}",
                                 date_of_birth=dt.date(1985, 4, 2), address_line1="12 Elm St", city="Portland",
                                 state="OR", postal_code="97202")
        track = self.track if level_program is None else make_track(level_program, name=f"T{n}")
        episode = admit(patient, track, admitted_on=MONDAY - dt.timedelta(days=7))
        episode.prescriber = self.prescriber
        episode.primary_clinician = self.therapist
        episode.save()
        Diagnosis.objects.create(patient=patient, episode=episode, code="F33.1", rank="primary",
                                 description="Major depressive disorder, recurrent, moderate",
                                 code_set_version="FY2026", diagnosed_on=MONDAY - dt.timedelta(days=7))
        Diagnosis.objects.create(patient=patient, episode=episode, code="F41.1", rank="secondary",
                                 description="Generalized anxiety disorder", code_set_version="FY2026",
                                 diagnosed_on=MONDAY - dt.timedelta(days=7))
        # A signed treatment plan in force from admission: the billable-service check (careplans.billable) needs
        # one for every billed service.
        signed = timezone.make_aware(dt.datetime.combine(episode.admitted_on, dt.time(12)))
        TreatmentPlan.objects.create(episode=episode, patient=patient, status=PlanStatus.ACTIVE,
                                     effective_on=episode.admitted_on, clinician_signed_by=self.therapist,
                                     clinician_signed_at=signed, patient_signer_name="Jane Doe",
                                     patient_signed_at=signed, content_sha256="0" * 64)
        self.coverage[episode.pk] = CoverageInfo(payer, f"M{n:06d}", "GRP1", active_from=dt.date(2025, 1, 1))
        self.auths[episode.pk] = AuthorizationInfo(f"AUTH{n}", dt.date(2026, 1, 1), dt.date(2026, 3, 31), 40)
        return episode

    def attend(self, episode: Any, day: dt.date, *, service_type: str = "group_psychotherapy", minutes: int = 90,
               note: str = NoteStatus.COMPLETE, modality: str = "in_person", by: Any = None,
               start: dt.time = dt.time(9, 0)) -> Attendance:
        end = (dt.datetime.combine(day, start) + dt.timedelta(minutes=max(minutes, 60))).time()
        session = make_session(site=self.site, facilitator=by or self.therapist, day=day, start=start, end=end,
                               service_type=service_type, program=episode.program)
        att = Attendance.objects.create(session=session, episode=episode, status="present", minutes=minutes,
                                        scheduled_minutes=session.minutes, modality=modality,
                                        marked_at=session.ends_at)
        if note:
            signed = note != NoteStatus.DRAFT
            n = Note.objects.create(session=session, kind=NoteKind.GROUP, template_version=self.template_version,
                                    author=by or self.therapist)
            ParticipantNote.objects.create(note=n, episode=episode, attendance=att,
                                           content={"progress": "CLINICAL TEXT NEVER SHOWN TO BILLERS"})
            if signed:  # arranging a signed note directly (the documentation services are tested there)
                Note.objects.filter(pk=n.pk).update(status=note, signed_at=timezone.now(), content_hash="x")
        return att


@pytest.fixture
def world(site, make_staff) -> World:
    site.postal_code = "12345-6789"
    site.save()
    program = make_program(site, name="Adult IOP")
    track = make_track(program)
    therapist = make_staff("therapist", full_name="Priya Natarajan")
    therapist.profile.npi = "1245319599"
    therapist.profile.save()
    Credential.objects.create(user=therapist, license_type="LCSW", license_number="T-1", state="OR",
                              expires_on=dt.date(2027, 6, 30))
    prescriber = make_staff("prescriber", full_name="Samuel Reyes")
    prescriber.profile.npi = "1003000126"
    prescriber.profile.save()
    Credential.objects.create(user=prescriber, license_type="MD", license_number="P-1", state="OR",
                              expires_on=dt.date(2027, 6, 30))
    per_service = BillingProfile.objects.create(
        organization=site.organization, payer_identifier="ACME1", payer_name="Acme Health", level_of_care="iop",
        billing_mode=BillingMode.PER_SERVICE, claim_type=ClaimType.PROFESSIONAL, place_of_service="11",
        video_modifier="95", audio_modifier="93", timely_filing_days=180, source=SOURCE, confirmed=True,
    )
    for code, rate in [("90853", "120"), ("90832", "100"), ("90834", "160"), ("90837", "210"), ("90791", "250")]:
        FeeScheduleEntry.objects.create(profile=per_service, service_type="x", code=code, rate=Decimal(rate),
                                        effective_from=dt.date(2025, 1, 1), source=SOURCE, confirmed=True)
    per_diem = BillingProfile.objects.create(
        organization=site.organization, payer_identifier="MCRA1", payer_name="Medicare Part A",
        claim_filing_indicator="MA", level_of_care="iop", billing_mode=BillingMode.PER_DIEM,
        claim_type=ClaimType.INSTITUTIONAL, type_of_bill="13", condition_codes="92", per_diem_min_minutes=180,
        requires_authorization=False, source=SOURCE, confirmed=True,
    )
    FeeScheduleEntry.objects.create(profile=per_diem, service_type="per_diem", code="S9480", revenue_code="0905",
                                    rate=Decimal("350"), effective_from=dt.date(2025, 1, 1), source=SOURCE,
                                    confirmed=True)
    templates = ensure_default_templates(organization=site.organization)
    version = templates[0].versions.first()
    return World(site, program, track, therapist, prescriber, per_service, per_diem, template_version=version)


@pytest.fixture
def biller(make_staff):
    return make_staff("biller", full_name="Bea Biller")


Factory = Callable[..., Any]


@pytest.fixture
def connected(world):
    """The world's plain-data coverage in place of the coverage app's registered source (restored afterwards):
    for tests about billing's own rules, independent of coverage rows."""
    previous = coverage_source()
    register_coverage_source(CoverageSource(world.coverage_for, world.authorization_for))
    yield world
    register_coverage_source(previous)


@pytest.fixture
def disconnected():
    previous = coverage_source()
    register_coverage_source(None)
    yield
    register_coverage_source(previous)
