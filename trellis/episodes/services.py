"""Episode writes: admission (consents, level-of-care criteria and risk checks), level changes, discharge with
its summary, step-down with the hand-off, diagnoses (ICD-10-CM), and the disclosures built from an episode
(letter to the referral source, summary export). Rosters follow automatically because they are derived from
active episodes; apps above episodes take part through trellis.episodes.hooks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from trellis.audit.services import AuditAction, record
from trellis.consents.models import DisclosureMethod
from trellis.consents.scope import ALL, SCOPE_SOURCE
from trellis.consents.scope import CATEGORIES as CATEGORY_LABELS
from trellis.consents.services import (
    check_sections,
    disclose,
    missing_for_admission,
    notice_for,
    record_notice_receipt,
    require_release,
)
from trellis.core import formats
from trellis.core.clock import now, today_in
from trellis.core.errors import DomainError
from trellis.episodes import discharge_summary, hooks
from trellis.episodes import medications as med_rules
from trellis.episodes.hooks import episode_admitted, episode_discharged
from trellis.episodes.models import (
    Diagnosis,
    DiagnosisRank,
    DiagnosisStage,
    DischargeRecord,
    DischargeType,
    Episode,
    EpisodeLevelChange,
    EpisodeStatus,
    HandoffTask,
    LevelChangeField,
)
from trellis.episodes.summary import (
    as_pdf_sections,
    build_summary,
    consent_scope_lines,
    document_sections,
    referral_letter_pdf,
    render_pdf,
    select_sections,
    sent_categories,
)
from trellis.patients.models import FlagKind
from trellis.patients.services import link_patient_to_site, set_flag
from trellis.programs.models import LEVEL_RANK, LevelOfCare, Program, Track
from trellis.referrals import icd10
from trellis.referrals.models import IntakeAssessment, Referral
from trellis.referrals.selectors import latest_determination, latest_intake, unresolved_high_risk
from trellis.referrals.services import mark_referral_admitted

if TYPE_CHECKING:
    from trellis.accounts.models import User

__all__ = ["episode_admitted", "episode_discharged"]  # re-exported hooks (sent after commit)

# Aftercare follow-up within 7 days of discharge: program policy. It is not HEDIS FUH (which measures follow-up
# after inpatient psychiatric stays, not PHP/IOP discharges); kept/missed is tracked in episodes.medications.
AFTERCARE_MAX_DAYS = 7


def _overlapping(patient: Any, program: Program, admitted_on: dt.date) -> Episode | None:
    """An episode of this patient in this program that is still open on (or after) that date."""
    return Episode.objects.filter(patient=patient, program=program).filter(
        Q(discharged_on__isnull=True) | Q(discharged_on__gte=admitted_on)
    ).first()


@dataclass(frozen=True)
class AdmissionCheck:
    missing_consents: list[str]
    determination: Any
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_admission(*, patient: Any, program: Program, admitted_on: dt.date, determination: Any = None,
                    require_determination: bool = True) -> AdmissionCheck:
    """Everything that blocks an admission, as a list of messages that say what to fix."""
    problems: list[str] = []
    clash = _overlapping(patient, program, admitted_on)
    if clash is not None:
        problems.append(
            f"This patient already has an episode in {program.name} from {formats.date(clash.admitted_on)} that overlaps "
            "that date. Discharge it first."
        )
    missing = missing_for_admission(patient=patient, program=program, on=admitted_on)
    if missing:
        problems.append("Required consents are missing: " + ", ".join(missing) + ".")
    if determination is None and require_determination:
        determination = latest_determination(patient, program)
    if require_determination:
        if determination is None:
            problems.append("Record the level-of-care determination for this program first.")
        elif determination.program_id != program.pk or determination.patient_id != patient.pk:
            problems.append("That level-of-care determination is for another patient or program.")
        elif not determination.admissible:
            problems.append(
                "Admission criteria are not met (" + "; ".join(determination.unmet) + "). A program director "
                "must record an override with a reason."
            )
    if unresolved_high_risk(patient):
        problems.append("The C-SSRS screen shows high risk: complete the safety plan first.")
    screen = med_rules.admission_screen_problem(patient=patient, program=program, admitted_on=admitted_on)
    if screen:
        problems.append(screen)
    return AdmissionCheck(missing_consents=missing, determination=determination, problems=problems)


def admit(
    *,
    patient: Any,
    program: Program,
    admitted_on: dt.date,
    admitted_by: User,
    track: Track | None = None,
    primary_clinician: Any = None,
    prescriber: Any = None,
    case_manager: Any = None,
    recommended_level: str | None = None,
    authorized_level: str | None = None,
    referral: Any = None,
    determination: Any = None,
    intake: Any = None,
    previous_episode: Episode | None = None,
    require_determination: bool = True,
) -> Episode:
    """Admit a patient: refused while required consents are missing (listed), while the program's admission
    criteria are not met without a director's override, or while a high-risk screen has no safety plan.
    Creates the episode, links the patient to the site, moves intake diagnoses onto the episode, marks the
    referral admitted and (through hooks.admitting) sets the plan and certification deadlines. This is the only
    way an episode is created, and it writes one audit event."""
    if track is not None and track.program_id != program.pk:
        raise DomainError("That track belongs to another program.", field="track")
    if program.organization_id != patient.organization_id:
        raise DomainError("That program belongs to another organization.", field="program")
    if admitted_on > today_in(program.site.zone) + dt.timedelta(days=30):
        raise DomainError("The admission date is more than 30 days ahead.", field="admitted_on")
    for role, user in (("primary_clinician", primary_clinician), ("prescriber", prescriber),
                       ("case_manager", case_manager)):
        if user is not None and user.organization_id != program.organization_id:
            raise DomainError("That staff member belongs to another organization.", field=role)
    for name, level in (("recommended_level", recommended_level), ("authorized_level", authorized_level)):
        if level and level not in LevelOfCare.values:
            raise DomainError("Choose a level of care.", field=name)
    with transaction.atomic():
        # Lock the patient row so two concurrent admissions cannot both pass the overlap check.
        type(patient).objects.select_for_update().filter(pk=patient.pk).first()
        check = check_admission(patient=patient, program=program, admitted_on=admitted_on,
                                determination=determination, require_determination=require_determination)
        if not check.ok:
            raise DomainError(" ".join(check.problems), code="admission_blocked")
        determination = check.determination
        if recommended_level is None and determination is not None:
            recommended_level = determination.recommended_level
        episode = Episode.objects.create(
            patient=patient, program=program, track=track, admitted_on=admitted_on, status=EpisodeStatus.ACTIVE,
            recommended_level=recommended_level or program.level_of_care, authorized_level=authorized_level,
            primary_clinician=primary_clinician, prescriber=prescriber, case_manager=case_manager,
            previous_episode=previous_episode, created_by=admitted_by,
        )
        link_patient_to_site(patient=patient, site=program.site)
        if determination is not None:
            type(determination).objects.filter(pk=determination.pk).update(episode=episode)
        if intake is None and previous_episode is None:
            intake = latest_intake(patient)
        if intake is not None:
            IntakeAssessment.objects.filter(pk=intake.pk, episode__isnull=True).update(episode=episode)
            Diagnosis.objects.filter(intake=intake, episode__isnull=True, entered_in_error=False).update(
                episode=episode
            )
        if referral is not None:
            mark_referral_admitted(referral=referral, episode=episode, changed_by=admitted_by)
        if program.is_part2:
            # Staff see at a glance that this chart holds 42 CFR Part 2 records (disclosure rules differ).
            set_flag(patient=patient, kind=FlagKind.PART2, label="42 CFR Part 2 records")
            # The version of the program's patient notice the patient received at admission (42 CFR 2.22).
            record_notice_receipt(patient=patient, program=program, on=admitted_on, recorded_by=admitted_by)
        # Plan and certification deadlines (careplans) are set by receivers of this hook.
        hooks.admitting.send(sender=Episode, episode=episode)
        # The one audit event of an admission.
        record(action=AuditAction.CREATE, obj=episode, patient=patient, site=program.site,
               detail={"admission": True, "program": str(program.public_id),
                       "override": bool(determination and determination.overridden_at)})
        transaction.on_commit(lambda: episode_admitted.send(sender=Episode, episode=episode))
    return episode


def change_level(*, episode: Episode, field: str, to_level: str, changed_on: dt.date, reason: str,
                 changed_by: User) -> EpisodeLevelChange:
    """Change the clinically recommended or the payer-authorized level within an episode; the next plan
    review is pulled in by receivers of hooks.level_changing (care plans)."""
    if field not in LevelChangeField.values:
        raise DomainError("Choose which level changes.", field="field")
    if to_level not in LevelOfCare.values:
        raise DomainError("Choose a level of care.", field="to_level")
    if not reason.strip():
        raise DomainError("Give the reason for the change.", field="reason")
    if episode.status != EpisodeStatus.ACTIVE:
        raise DomainError("Only an active episode can change level.")
    if changed_on < episode.admitted_on:
        raise DomainError("The change date is before the admission date.", field="changed_on")
    attr = "recommended_level" if field == LevelChangeField.RECOMMENDED else "authorized_level"
    with transaction.atomic():
        current = Episode.objects.select_for_update().get(pk=episode.pk)
        from_level = getattr(current, attr) or ""
        if from_level == to_level:
            raise DomainError("That is already the level.", field="to_level")
        change = EpisodeLevelChange.objects.create(
            episode=current, field=field, from_level=from_level, to_level=to_level, changed_on=changed_on,
            reason=reason.strip(), created_by=changed_by,
        )
        setattr(current, attr, to_level)
        current.version += 1
        current.save()
        hooks.level_changing.send(sender=Episode, episode=current, changed_on=changed_on)
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, site=current.program.site,
               detail={"field": attr, "from": from_level, "to": to_level})
    return change


def aftercare_flag(discharged_on: dt.date, aftercare_on: dt.date | None, provider: str) -> str:
    if aftercare_on is None or not provider.strip():
        return "No aftercare appointment recorded"
    if aftercare_on < discharged_on:
        return ""
    if (aftercare_on - discharged_on).days > AFTERCARE_MAX_DAYS:
        return f"Aftercare appointment is more than {AFTERCARE_MAX_DAYS} days after discharge"
    return ""


def _validate_codes(codes: list[tuple[str, str]]) -> list[tuple[Any, str]]:
    items = []
    primaries = 0
    for code, rank in codes:
        try:
            items.append((icd10.validate(code), rank))
        except icd10.InvalidCode as exc:
            raise DomainError(str(exc), field="diagnoses") from exc
        primaries += rank == "primary"
    if codes and primaries != 1:
        raise DomainError("Mark exactly one discharge diagnosis as primary.", field="diagnoses")
    return items


def discharge(
    *,
    episode: Episode,
    discharged_on: dt.date,
    discharge_type: str,
    reason: str,
    discharged_by: User,
    diagnoses: list[tuple[str, str]] | None = None,
    medications: str = "",
    aftercare_provider: str = "",
    aftercare_on: dt.date | None = None,
) -> DischargeRecord:
    """Discharge an episode: type, reason, discharge diagnoses (ICD-10-CM), medications, aftercare (flagged
    when missing or more than 7 days out). Refused until the clinician's discharge summary is signed
    (trellis.episodes.discharge_summary: 42 CFR 485.914(e)(2)), the discharge medications are reconciled
    (TJC NPSG.03.06.01) and a fresh C-SSRS screen is on file; every missing step is named. Open
    plan/certification deadlines are cancelled; future rosters drop the patient because rosters follow active
    episodes."""
    if discharge_type not in DischargeType.values:
        raise DomainError("Choose the discharge type.", field="discharge_type")
    if not reason.strip():
        raise DomainError("Give the reason for discharge.", field="reason")
    if discharged_on < episode.admitted_on:
        raise DomainError(
            f"The discharge date is before the admission date ({formats.date(episode.admitted_on)}).", field="discharged_on"
        )
    if discharged_on > today_in(episode.program.site.zone):
        raise DomainError("The discharge date is in the future.", field="discharged_on")
    if episode.status == EpisodeStatus.DISCHARGED:
        raise DomainError("This episode is already discharged.")
    if aftercare_on is not None and aftercare_on < discharged_on:
        raise DomainError("The aftercare appointment is before the discharge date.", field="aftercare_on")
    if unresolved_high_risk(episode.patient):
        raise DomainError("The C-SSRS screen shows high risk without a completed safety plan: complete the safety "
                          "plan before the patient leaves.")
    coded = _validate_codes(diagnoses or [])
    blocking = med_rules.discharge_problems(episode=episode, discharged_on=discharged_on)
    unsigned = discharge_summary.discharge_problem(episode)
    if unsigned:
        blocking.append(unsigned)
    if blocking:
        raise DomainError(" ".join(blocking), code="discharge_blocked")
    with transaction.atomic():
        current = Episode.objects.select_for_update().get(pk=episode.pk)
        if current.status == EpisodeStatus.DISCHARGED:
            raise DomainError("This episode is already discharged.")
        current.status = EpisodeStatus.DISCHARGED
        current.discharged_on = discharged_on
        current.discharge_type = discharge_type
        current.discharge_reason = reason.strip()
        current.version += 1
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, site=current.program.site,
               detail={"discharge_type": discharge_type})
        for item, rank in coded:
            Diagnosis.objects.create(
                patient=current.patient, episode=current, stage=DiagnosisStage.DISCHARGE, code=item.code,
                description=item.description, code_set_version=icd10.CODE_SET_VERSION, rank=rank,
                diagnosed_on=discharged_on, diagnosed_by=discharged_by, created_by=discharged_by,
            )
        # Open plan and certification deadlines are cancelled by receivers of this hook (care plans).
        hooks.discharging.send(sender=Episode, episode=current)
        rec = DischargeRecord.objects.create(
            episode=current, discharge_type=discharge_type, reason=reason.strip(), medications=medications.strip(),
            aftercare_provider=aftercare_provider.strip(), aftercare_on=aftercare_on,
            aftercare_flag=aftercare_flag(discharged_on, aftercare_on, aftercare_provider), created_by=discharged_by,
        )
        rec.summary = build_summary(current, rec)
        rec.summary_generated_at = now()
        rec.save(update_fields=["summary", "summary_generated_at", "updated_at"])
        record(action=AuditAction.CREATE, obj=rec, patient=current.patient, site=current.program.site,
               detail={"discharge_type": discharge_type, "aftercare_flag": bool(rec.aftercare_flag)})
        transaction.on_commit(lambda: episode_discharged.send(sender=Episode, episode=current))
    return rec


def step_down(
    *,
    episode: Episode,
    to_program: Program,
    discharged_on: dt.date,
    reason: str,
    discharged_by: User,
    to_track: Track | None = None,
    admitted_on: dt.date | None = None,
    receiving_clinician: Any = None,
    handoff_note: str = "",
    medications: str = "",
    diagnoses: list[tuple[str, str]] | None = None,
) -> tuple[DischargeRecord, Episode, HandoffTask]:
    """Discharge to a lower level and open the new episode there, without re-entering the patient; the
    receiving clinician gets a hand-off task. Diagnoses carry over to the new episode."""
    if to_program.organization_id != episode.program.organization_id:
        raise DomainError("Unknown program.", field="to_program")
    if LEVEL_RANK.get(to_program.level_of_care, 0) >= LEVEL_RANK.get(episode.program.level_of_care, 0):
        raise DomainError("A step-down goes to a lower level of care; choose a program below "
                          f"{episode.program.get_level_of_care_display()}.", field="to_program")
    if to_track is not None and to_track.program_id != to_program.pk:
        raise DomainError("That track belongs to another program.", field="to_track")
    start = admitted_on or discharged_on
    if start < discharged_on:
        raise DomainError("The new episode cannot start before the discharge.", field="admitted_on")
    if receiving_clinician is None:
        raise DomainError("Choose the receiving clinician.", field="receiving_clinician")
    with transaction.atomic():
        rec = discharge(
            episode=episode, discharged_on=discharged_on, discharge_type=DischargeType.STEP_DOWN, reason=reason,
            discharged_by=discharged_by, diagnoses=diagnoses, medications=medications,
            aftercare_provider=f"{to_program.name} ({to_program.site.name})", aftercare_on=start,
        )
        new = admit(
            patient=episode.patient, program=to_program, admitted_on=start, admitted_by=discharged_by,
            track=to_track, primary_clinician=receiving_clinician, prescriber=episode.prescriber,
            case_manager=episode.case_manager, recommended_level=to_program.level_of_care,
            authorized_level=None, previous_episode=episode, require_determination=False,
        )
        stage = DiagnosisStage.DISCHARGE if diagnoses else DiagnosisStage.ADMISSION
        carried = Diagnosis.objects.filter(episode=episode, stage=stage, entered_in_error=False, resolved_on=None)
        Diagnosis.objects.bulk_create([
            Diagnosis(patient=d.patient, episode=new, stage=DiagnosisStage.ADMISSION, code=d.code,
                      description=d.description, code_set_version=d.code_set_version, rank=d.rank,
                      onset_on=d.onset_on, diagnosed_on=d.diagnosed_on, diagnosed_by=d.diagnosed_by,
                      created_by=discharged_by)
            for d in carried
        ])
        task = HandoffTask.objects.create(
            from_episode=episode, to_episode=new, assigned_to=receiving_clinician, due_on=start,
            note=handoff_note.strip() or f"Step-down from {episode.program.name}: review the discharge summary, "
            "diagnoses and treatment plan, and meet the patient at the first session.",
            created_by=discharged_by,
        )
        rec.next_episode = new
        rec.save(update_fields=["next_episode", "updated_at"])
        record(action=AuditAction.CREATE, obj=task, patient=episode.patient, site=to_program.site,
               detail={"step_down_from": str(episode.public_id)})
    return rec, new, task


def complete_handoff(*, task: HandoffTask, completed_by: User) -> HandoffTask:
    with transaction.atomic():
        current = HandoffTask.objects.select_for_update().get(pk=task.pk)
        if current.completed_at is not None:
            raise DomainError("This hand-off is already done.")
        current.completed_at = now()
        current.completed_by = completed_by
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.to_episode.patient,
               site=current.to_episode.program.site, detail={"completed": True})
    return current


# ---------------------------------------------------------------- disclosures (letters / exports)
def referral_for(episode: Episode) -> Any:
    """The referral that led to this episode (following the step-down chain back)."""
    current: Episode | None = episode
    for _ in range(20):
        if current is None:
            return None
        found = Referral.objects.filter(episode=current).select_related("source").first()
        if found is not None:
            return found
        current = current.previous_episode
    return None


def part2_applies(episode: Episode) -> bool:
    """Records of an episode in a Part 2 program (or stepped down from one) are Part 2 records."""
    current: Episode | None = episode
    for _ in range(20):
        if current is None:
            return False
        if current.program.is_part2:
            return True
        current = current.previous_episode
    return False


def referral_source_letter(*, episode: Episode, sent_by: Any) -> tuple[bytes, Any]:
    """Letter to the referral source: generated only with a release in force naming that source (a 42 CFR
    Part 2 consent when Part 2 applies). It carries only the sections the consent covers - attendance,
    diagnoses, plan progress, medications, risk assessments, the signed discharge summary (42 CFR 2.31(a)(3),
    2.13(a)) - and the disclosure records which sections went out. The letter carries the notice and the
    consent's scope (2.32)."""
    referral = referral_for(episode)
    if referral is None or referral.source is None:
        raise DomainError("This episode has no referral source to write to.")
    source = referral.source
    applies = part2_applies(episode)
    day = today_in(episode.program.site.zone)
    consent = require_release(patient=episode.patient, part2_applies=applies, on=day, recipient_source=source,
                              recipient_name=source.name)
    allowed = check_sections(consent, None)
    rec = DischargeRecord.objects.filter(episode=episode).first()
    signed = discharge_summary.signed_summary(episode)
    chosen = select_sections(document_sections(episode, rec, signed), allowed)
    # The summary's narrative only once it is signed; its signature line goes with it.
    sections = [s for s in chosen if s.category and (s.category != "discharge_summary" or signed is not None)]
    sent = sent_categories(sections)
    if "discharge_summary" in sent:
        sections += [s for s in chosen if not s.category]
    if not sent:
        raise DomainError("The consent covers nothing this letter can say yet (the discharge summary is not signed). "
                          f"A disclosure carries only what the consent covers ({SCOPE_SOURCE}).", code="not_covered")
    notice, _version = notice_for(part2_applies=applies)
    pdf = referral_letter_pdf(episode, sections, recipient=source.name, notice=notice, consent=consent)
    disclosure = disclose(
        patient=episode.patient, site=episode.program.site, purpose=consent.purpose or "Continuity of care",
        information="Letter: " + ", ".join(CATEGORY_LABELS[c] for c in sent), method=DisclosureMethod.LETTER,
        sections=sent, document_title="Letter to referral source", disclosed_by=sent_by, part2_applies=applies,
        recipient_source=source, recipient_name=source.name, consent=consent, episode=episode, content=pdf, on=day,
    )
    return pdf, disclosure


def export_discharge_summary(*, episode: Episode, exported_by: User, recipient_name: str,
                             recipient_source: Any = None, sections: list[str] | None = None,
                             tpo_purpose: str = "") -> tuple[bytes, Any]:
    """The signed discharge summary sent to an outside party: same release rule as the letter. The document
    carries only the categories the consent covers (42 CFR 2.31(a)(3), 2.13(a)); asking for more is refused, and
    the disclosure records the sections that went out. Only a signed summary leaves the program
    (CMS Pub. 100-08 ch. 3 §3.3.2.4)."""
    rec = DischargeRecord.objects.filter(episode=episode).first()
    if rec is None:
        raise DomainError("Discharge the episode first.")
    signed = discharge_summary.signed_summary(episode)
    if signed is None:
        raise DomainError("The discharge summary is not signed; sign it before sending it to anyone.")
    applies = part2_applies(episode)
    day = today_in(episode.program.site.zone)
    consent = require_release(patient=episode.patient, part2_applies=applies, on=day,
                              recipient_source=recipient_source, recipient_name=recipient_name, tpo_purpose=tpo_purpose)
    allowed = check_sections(consent, sections)
    chosen = select_sections(document_sections(episode, rec, signed), allowed)
    sent = list(allowed) if ALL in allowed else sent_categories(chosen)
    notice, _version = notice_for(part2_applies=applies)
    pdf = render_pdf("Discharge summary", as_pdf_sections(chosen), notice, consent_scope_lines(consent))
    disclosure = disclose(
        patient=episode.patient, site=episode.program.site, purpose=consent.purpose,
        information="Discharge summary: " + ", ".join(CATEGORY_LABELS[c] for c in sent),
        method=DisclosureMethod.EXPORT, document_title="Discharge summary", disclosed_by=exported_by,
        part2_applies=applies, recipient_source=recipient_source,
        recipient_name=recipient_name or consent.recipient_name, consent=consent, episode=episode, content=pdf,
        on=day, sections=sent,
    )
    return pdf, disclosure


# ---------------------------------------------------------------- diagnoses
def add_diagnosis(
    *,
    patient: Any,
    code: str,
    rank: str,
    diagnosed_on: dt.date,
    diagnosed_by: Any,
    intake: IntakeAssessment | None = None,
    episode: Any = None,
    stage: str = DiagnosisStage.ADMISSION,
    onset_on: dt.date | None = None,
) -> Diagnosis:
    """Add an ICD-10-CM diagnosis (validated, billable code) to an intake and/or episode."""
    try:
        item = icd10.validate(code)
    except icd10.InvalidCode as exc:
        raise DomainError(str(exc), field="code") from exc
    if rank not in DiagnosisRank.values:
        raise DomainError("Choose primary or secondary.", field="rank")
    if intake is None and episode is None:
        raise DomainError("A diagnosis belongs to an intake or an episode.")
    for owner in (intake, episode):
        if owner is not None and owner.patient_id != patient.pk:
            raise DomainError("That record belongs to another patient.")
    if onset_on is not None and onset_on > diagnosed_on:
        raise DomainError("The onset date is after the diagnosis date.", field="onset_on")
    with transaction.atomic():
        qs = Diagnosis.objects.filter(patient=patient, stage=stage, entered_in_error=False, code=item.code)
        qs = qs.filter(intake=intake) if intake is not None else qs.filter(episode=episode)
        if qs.exists():
            raise DomainError(f"{item.code} is already on the list.", field="code")
        if rank == DiagnosisRank.PRIMARY:
            prim = Diagnosis.objects.filter(stage=stage, rank=DiagnosisRank.PRIMARY, entered_in_error=False)
            prim = prim.filter(intake=intake) if intake is not None else prim.filter(episode=episode)
            if prim.exists():
                raise DomainError("There is already a primary diagnosis; add this one as secondary or change "
                                  "the primary first.", field="rank")
        try:
            with transaction.atomic():
                dx = Diagnosis.objects.create(
                    patient=patient, intake=intake, episode=episode, stage=stage, code=item.code,
                    description=item.description, code_set_version=icd10.CODE_SET_VERSION, rank=rank,
                    onset_on=onset_on, diagnosed_on=diagnosed_on, diagnosed_by=diagnosed_by, created_by=diagnosed_by,
                )
        except IntegrityError as exc:
            raise DomainError("There is already a primary diagnosis.", field="rank") from exc
        record(action=AuditAction.CREATE, obj=dx, patient=patient, site=(intake or episode).site,
               detail={"code": item.code, "rank": rank, "stage": stage})
    return dx


def change_diagnosis_rank(*, diagnosis: Diagnosis, rank: str, changed_by: User) -> Diagnosis:
    """Make a diagnosis primary or secondary without entering it in error. Making one primary demotes the current
    primary of the same intake/episode and stage to secondary (one primary each: the principal diagnosis a claim
    reports first, ICD-10-CM Official Guidelines Section IV.A), in one transaction."""
    if rank not in DiagnosisRank.values:
        raise DomainError("Choose primary or secondary.", field="rank")
    with transaction.atomic():
        current = Diagnosis.objects.select_for_update().get(pk=diagnosis.pk)
        if current.entered_in_error:
            raise DomainError("This diagnosis was entered in error; add it again instead.")
        if current.rank == rank:
            return current
        if rank == DiagnosisRank.PRIMARY:
            owners = Q(intake_id=current.intake_id) if current.intake_id else Q()
            if current.episode_id:
                owners |= Q(episode_id=current.episode_id)
            demoted = list(Diagnosis.objects.select_for_update().filter(
                owners, stage=current.stage, rank=DiagnosisRank.PRIMARY, entered_in_error=False,
            ).exclude(pk=current.pk))
            for other in demoted:
                other.rank = DiagnosisRank.SECONDARY
                other.save()
                record(action=AuditAction.UPDATE, obj=other, patient=other.patient,
                       detail={"rank": DiagnosisRank.SECONDARY, "demoted_by": str(current.public_id)})
        current.rank = rank
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, detail={"rank": rank})
    return current


def first_rank(*, intake: Any = None, episode: Any = None, stage: str = DiagnosisStage.ADMISSION) -> str:
    """The rank the add-diagnosis form starts on: primary while the list has no primary yet, else secondary."""
    qs = Diagnosis.objects.filter(stage=stage, rank=DiagnosisRank.PRIMARY, entered_in_error=False)
    qs = qs.filter(intake=intake) if intake is not None else qs.filter(episode=episode)
    return DiagnosisRank.SECONDARY if qs.exists() else DiagnosisRank.PRIMARY


def mark_diagnosis_in_error(*, diagnosis: Diagnosis, changed_by: User) -> Diagnosis:
    with transaction.atomic():
        current = Diagnosis.objects.select_for_update().get(pk=diagnosis.pk)
        current.entered_in_error = True
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, detail={"entered_in_error": True})
    return current


def resolve_diagnosis(*, diagnosis: Diagnosis, resolved_on: dt.date, changed_by: User) -> Diagnosis:
    if resolved_on < diagnosis.diagnosed_on:
        raise DomainError("The resolved date cannot be before the diagnosis date.", field="resolved_on")
    with transaction.atomic():
        current = Diagnosis.objects.select_for_update().get(pk=diagnosis.pk)
        current.resolved_on = resolved_on
        current.save()
        record(action=AuditAction.UPDATE, obj=current, patient=current.patient, detail={"resolved": True})
    return current
