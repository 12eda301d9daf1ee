"""Small builders shared by the episode-of-care tests (referrals, consents, careplans, programs lifecycle)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trellis.consents import services as consent_services
from trellis.consents.models import ConsentKind
from trellis.core.clock import today_in
from trellis.programs.models import LevelOfCare, Program, Track
from trellis.referrals import services as referral_services


def make_program(site: Any, *, level: str = LevelOfCare.PHP, name: str | None = None, certification: bool = True,
                 part2: bool = False) -> Program:
    return Program.objects.create(
        organization=site.organization, site=site, name=name or f"{level.upper()} program", level_of_care=level,
        weekly_hours_min=Decimal("20") if level == LevelOfCare.PHP else Decimal("9"),
        weekly_hours_max=Decimal("30") if level == LevelOfCare.PHP else Decimal("19"),
        requires_certification=certification, is_part2=part2,
    )


def make_track(program: Program, name: str = "General") -> Track:
    return Track.objects.create(program=program, name=name)


def sign(consent: Any, by: Any, name: str | None = None, signed_at: Any = None) -> Any:
    """Signed by the patient, with their legal name unless the test types another."""
    return consent_services.sign_consent(consent=consent, signer_name=name or consent.patient.legal_name,
                                         collected_by=by, ip_address="127.0.0.1", signed_at=signed_at)


def admission_consents(patient: Any, site: Any, by: Any, on: Any = None, kinds: Any = None) -> list[Any]:
    signed_at = None
    if on is not None:
        import datetime as dt

        signed_at = dt.datetime.combine(on, dt.time(9), tzinfo=site.zone)
    return [
        sign(consent_services.create_consent(patient=patient, site=site, kind=kind, created_by=by), by,
             signed_at=signed_at)
        for kind in (kinds or (ConsentKind.TREATMENT, ConsentKind.FINANCIAL))
    ]


def met_findings(criteria: Any) -> dict[str, str]:
    return {d.key: next(f.key for f in d.findings if f.meets) for d in criteria.dimensions}


def unmet_findings(criteria: Any) -> dict[str, str]:
    out = met_findings(criteria)
    first = criteria.dimensions[0]
    out[first.key] = next(f.key for f in first.findings if not f.meets)
    return out


def determination(patient: Any, program: Program, by: Any, *, met: bool = True) -> Any:
    from trellis.referrals.selectors import criteria_for_program

    crit = criteria_for_program(program)
    return referral_services.record_loc_determination(
        patient=patient, program=program, findings=met_findings(crit) if met else unmet_findings(crit),
        rationale="Meets PHP criteria after inpatient stay.", recommended_level=program.level_of_care,
        determined_by=by,
    )


NO_RISK = {"q1": False, "q2": False, "q6": False}
HIGH_RISK = {"q1": True, "q2": True, "q3": True, "q4": True, "q5": False, "q6": False}


def screen(patient: Any, site: Any, by: Any, on: Any = None, answers: Any = None) -> Any:
    """A C-SSRS screen (no risk unless told) on `on` (default: now)."""
    import datetime as dt

    at = dt.datetime.combine(on, dt.time(8), tzinfo=site.zone) if on is not None else None
    return referral_services.record_risk_screen(patient=patient, site=site, administered_by=by,
                                                answers=answers or NO_RISK, administered_at=at)


def ready_for_discharge(episode: Any, by: Any, on: Any = None, *, sign_summary: bool = True) -> None:
    """A fresh C-SSRS screen, the discharge medication list and the signed discharge summary: the episode can be
    discharged."""
    from trellis.episodes.medications import reconcile_medications

    screen(episode.patient, episode.program.site, by, on=on)
    reconcile_medications(episode=episode, list_kind="discharge", reconciled_by=by, rows=[
        {"name": "Sertraline", "dose": "100 mg", "route": "oral", "frequency": "daily", "prescriber": "Dr. Patel"}])
    if sign_summary:
        signed_summary(episode, by)


SUMMARY_TEXT = {"course": "Attended groups and individual therapy; mood improved.",
                "condition": "Euthymic, no suicidal ideation, sleeping well.",
                "recommendations": "Weekly outpatient therapy; continue sertraline."}


def signed_summary(episode: Any, by: Any, **text: str) -> Any:
    """The episode's discharge summary, drafted and signed by `by` (after the discharge reconciliation)."""
    from trellis.episodes import discharge_summary as ds

    summary = ds.start_summary(episode=episode, user=by)
    return ds.sign(summary=summary, user=by, expected_version=summary.version, **(SUMMARY_TEXT | text))


def ready_to_admit(patient: Any, program: Program, by: Any, on: Any = None) -> Any:
    """Consents signed, a C-SSRS screen and criteria met: the patient can be admitted to `program`."""
    admission_consents(patient, program.site, by, on=on, kinds=consent_services.required_kinds(program))
    screen(patient, program.site, by, on=on)
    return determination(patient, program, by)


def admitted_episode(patient: Any, program: Program, by: Any, **kw: Any) -> Any:
    from trellis.episodes.services import admit

    admitted_on = kw.pop("admitted_on", today_in(program.site.zone))
    ready_to_admit(patient, program, by, on=admitted_on)
    return admit(patient=patient, program=program, admitted_on=admitted_on, admitted_by=by,
                 primary_clinician=kw.pop("primary_clinician", by), **kw)


def simple_plan(episode: Any, by: Any, *, sign_it: bool = True) -> Any:
    from trellis.careplans import services as plan_services

    plan = plan_services.create_plan(episode=episode, created_by=by)
    problem = plan_services.add_problem(plan=plan, statement="Depressed mood limits work", changed_by=by)
    goal = plan_services.add_goal(problem=problem, statement="I want to get back to work", changed_by=by)
    objective = plan_services.add_objective(
        goal=goal, statement="PHQ-9 below 10", target_date=episode.admitted_on.replace(day=1).replace(
            year=episode.admitted_on.year + 1), changed_by=by,
    )
    plan_services.add_intervention(objective=objective, description="CBT skills group", modality="skills_group",
                                   frequency="daily", changed_by=by, responsible=by, minutes_per_session=240,
                                   sessions_per_week=5)
    if episode.program.requires_certification:
        plan_services.set_primary_diagnosis(plan=plan, diagnosis=primary_diagnosis(episode, by), changed_by=by)
    if sign_it:
        plan = plan_services.sign_plan(plan=plan, clinician=by, patient_signer_name="Alex Rivera")
    return plan


def primary_diagnosis(episode: Any, by: Any) -> Any:
    """The episode's primary psychiatric diagnosis (made here if admission did not record one)."""
    from trellis.episodes.models import Diagnosis

    found = Diagnosis.objects.filter(episode=episode, rank="primary", code__startswith="F").first()
    return found or Diagnosis.objects.create(
        patient=episode.patient, episode=episode, code="F33.1", description="Major depressive disorder, recurrent, "
        "moderate", code_set_version="ICD-10-CM 2026", rank="primary", diagnosed_on=episode.admitted_on,
        diagnosed_by=by)
