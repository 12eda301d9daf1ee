"""The one place that says what each role may do. Deny by default: a capability not listed is refused."""

from __future__ import annotations

from trellis.accounts.models import Role


class Cap:
    PATIENT_VIEW = "patient.view"
    PATIENT_CREATE = "patient.create"
    PATIENT_EDIT = "patient.edit"
    PROGRAM_MANAGE = "program.manage"
    SCHEDULE_VIEW = "schedule.view"
    SCHEDULE_MANAGE = "schedule.manage"
    ATTENDANCE_MARK = "attendance.mark"
    ATTENDANCE_UNLOCK = "attendance.unlock"
    EPISODE_ADMIT = "episode.admit"
    EPISODE_DISCHARGE = "episode.discharge"
    EPISODE_OVERRIDE = "episode.override"
    REFERRAL_VIEW = "referral.view"
    REFERRAL_MANAGE = "referral.manage"
    INTAKE_WRITE = "intake.write"
    CONSENT_MANAGE = "consent.manage"
    DISCLOSURE_MAKE = "disclosure.make"
    CAREPLAN_WRITE = "careplan.write"
    CERTIFY = "certify"
    NOTE_WRITE = "note.write"
    NOTE_COSIGN = "note.cosign"
    NOTE_PRINT = "note.print"
    STAFF_MANAGE = "staff.manage"
    ORG_MANAGE = "org.manage"
    AUDIT_VIEW = "audit.view"
    BILLING_VIEW = "billing.view"
    BILLING_MANAGE = "billing.manage"
    REPORTS_VIEW = "reports.view"
    # --- telehealth (waiting rooms, lobby, video) ---
    TELEHEALTH_LOBBY = "telehealth.lobby"  # see who is waiting: name, state, since when, device check
    TELEHEALTH_HOST = "telehealth.host"  # admit/breakout/not-seen, video, confirm presence into attendance
    TELEHEALTH_LINKS = "telehealth.links"  # send and revoke join links
    TELEHEALTH_MANAGE = "telehealth.manage"  # waiting-room branding, video provider
    # --- outcomes (measurement-based care) -------------------------------------------------------------
    OUTCOMES_VIEW = "outcomes.view"  # read answers, scores, trends, alerts (clinical content)
    OUTCOMES_ADMINISTER = "outcomes.administer"  # enter answers from paper, acknowledge critical alerts
    OUTCOMES_INVITE = "outcomes.invite"  # send a self-completion link / hand a kiosk; never reads answers
    OUTCOMES_CONFIGURE = "outcomes.configure"  # schedules per program, organization-licensed instruments
    OUTCOMES_REPORT = "outcomes.report"  # aggregate program outcomes report (no individual answers)
    # --- end outcomes ----------------------------------------------------------------------------------
    # --- compliance (weekly-hours engine, requirement sets) -------------------------------------------
    COMPLIANCE_VIEW = "compliance.view"  # weekly hours status, worklists, proposals (counted minutes, no notes)
    COMPLIANCE_CONFIGURE = "compliance.configure"  # requirement sets and their payer assignments
    # --- end compliance --------------------------------------------------------------------------------
    # --- billing KPIs and fee schedules (no patient data) -----------------------------------------------
    BILLING_INSIGHT = "billing.insight"  # days in A/R, denial rate, fee schedules: aggregates and rates only
    # --- end billing ------------------------------------------------------------------------------------


_CLINICAL_CORE = frozenset(
    {Cap.PATIENT_VIEW, Cap.SCHEDULE_VIEW, Cap.ATTENDANCE_MARK, Cap.NOTE_WRITE, Cap.NOTE_PRINT, Cap.REFERRAL_VIEW}
)

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ORG_ADMIN: frozenset(
        {
            Cap.PATIENT_VIEW, Cap.PATIENT_CREATE, Cap.PATIENT_EDIT, Cap.PROGRAM_MANAGE, Cap.SCHEDULE_VIEW,
            Cap.SCHEDULE_MANAGE, Cap.STAFF_MANAGE, Cap.ORG_MANAGE, Cap.AUDIT_VIEW, Cap.REPORTS_VIEW,
            Cap.REFERRAL_VIEW, Cap.BILLING_VIEW,
        }
    ),
    Role.PROGRAM_DIRECTOR: _CLINICAL_CORE
    | {
        Cap.PATIENT_CREATE, Cap.PATIENT_EDIT, Cap.PROGRAM_MANAGE, Cap.SCHEDULE_MANAGE, Cap.EPISODE_ADMIT,
        Cap.EPISODE_DISCHARGE, Cap.EPISODE_OVERRIDE, Cap.REFERRAL_MANAGE, Cap.INTAKE_WRITE, Cap.CONSENT_MANAGE,
        Cap.DISCLOSURE_MAKE, Cap.CAREPLAN_WRITE, Cap.NOTE_COSIGN, Cap.STAFF_MANAGE, Cap.REPORTS_VIEW,
        Cap.AUDIT_VIEW,
    },
    Role.THERAPIST: _CLINICAL_CORE
    | {
        Cap.PATIENT_EDIT, Cap.EPISODE_ADMIT, Cap.EPISODE_DISCHARGE, Cap.INTAKE_WRITE, Cap.CONSENT_MANAGE,
        Cap.DISCLOSURE_MAKE, Cap.CAREPLAN_WRITE, Cap.NOTE_COSIGN, Cap.REFERRAL_MANAGE,
    },
    Role.GROUP_FACILITATOR: _CLINICAL_CORE,
    Role.PRESCRIBER: _CLINICAL_CORE
    | {Cap.PATIENT_EDIT, Cap.CERTIFY, Cap.CAREPLAN_WRITE, Cap.INTAKE_WRITE, Cap.NOTE_COSIGN, Cap.EPISODE_DISCHARGE},
    Role.NURSE: _CLINICAL_CORE | {Cap.PATIENT_EDIT, Cap.INTAKE_WRITE},
    Role.CASE_MANAGER: _CLINICAL_CORE
    | {Cap.PATIENT_CREATE, Cap.PATIENT_EDIT, Cap.REFERRAL_MANAGE, Cap.CONSENT_MANAGE, Cap.DISCLOSURE_MAKE},
    Role.PEER_SPECIALIST: frozenset({Cap.PATIENT_VIEW, Cap.SCHEDULE_VIEW, Cap.ATTENDANCE_MARK, Cap.NOTE_WRITE}),
    Role.BILLER: frozenset(
        {Cap.PATIENT_VIEW, Cap.SCHEDULE_VIEW, Cap.BILLING_VIEW, Cap.BILLING_MANAGE, Cap.ATTENDANCE_UNLOCK,
         Cap.REPORTS_VIEW}
    ),
    Role.FRONT_DESK: frozenset(
        {Cap.PATIENT_VIEW, Cap.PATIENT_CREATE, Cap.PATIENT_EDIT, Cap.SCHEDULE_VIEW, Cap.ATTENDANCE_MARK,
         Cap.REFERRAL_VIEW, Cap.REFERRAL_MANAGE, Cap.CONSENT_MANAGE}
    ),
}

# --- outcomes grants (minimum necessary, 45 CFR 164.502(b)) ------------------------------------------------
# Clinicians who treat the patient read and administer measures; the director also configures schedules and
# reads the program report; the org admin configures instruments and reads the aggregate report but not
# individual answers; peer specialists and front desk may hand out a measure (link or kiosk) but never read
# answers or scores; billers get nothing (scores are not needed for billing).
_OUTCOMES_CLINICAL = frozenset({Cap.OUTCOMES_VIEW, Cap.OUTCOMES_ADMINISTER, Cap.OUTCOMES_INVITE})
_OUTCOMES_GRANTS: dict[str, frozenset[str]] = {
    Role.PROGRAM_DIRECTOR: _OUTCOMES_CLINICAL | {Cap.OUTCOMES_CONFIGURE, Cap.OUTCOMES_REPORT},
    Role.THERAPIST: _OUTCOMES_CLINICAL,
    Role.GROUP_FACILITATOR: _OUTCOMES_CLINICAL,
    Role.PRESCRIBER: _OUTCOMES_CLINICAL,
    Role.NURSE: _OUTCOMES_CLINICAL,
    Role.CASE_MANAGER: _OUTCOMES_CLINICAL,
    Role.PEER_SPECIALIST: frozenset({Cap.OUTCOMES_INVITE}),
    Role.FRONT_DESK: frozenset({Cap.OUTCOMES_INVITE}),
    Role.ORG_ADMIN: frozenset({Cap.OUTCOMES_CONFIGURE, Cap.OUTCOMES_REPORT}),
}
for _role, _caps in _OUTCOMES_GRANTS.items():
    ROLE_CAPABILITIES[_role] = ROLE_CAPABILITIES[_role] | _caps
# --- end outcomes grants ------------------------------------------------------------------------------------

# Roles that read patient data must use MFA (HIPAA Security Rule §164.312(d), person authentication).
ROLES_READING_PATIENT_DATA = frozenset(
    role for role, caps in ROLE_CAPABILITIES.items() if Cap.PATIENT_VIEW in caps
)


# --- telehealth grants (minimum necessary, 45 CFR 164.502(b)) -------------------------------------------
# Clinicians who run sessions host them and see their lobby. Front desk sees the lobby of their site and
# sends/revokes links (scheduling work, the same people who greet in-person arrivals) but does not host
# video or see clinical content. Billers and org admins do not see who is waiting; org admins and
# directors manage branding and the video provider.
_TELEHEALTH_HOSTS = (Role.PROGRAM_DIRECTOR, Role.THERAPIST, Role.GROUP_FACILITATOR, Role.PRESCRIBER, Role.NURSE,
                     Role.CASE_MANAGER, Role.PEER_SPECIALIST)
for _role in _TELEHEALTH_HOSTS:
    ROLE_CAPABILITIES[_role] = ROLE_CAPABILITIES[_role] | {Cap.TELEHEALTH_LOBBY, Cap.TELEHEALTH_HOST,
                                                           Cap.TELEHEALTH_LINKS}
ROLE_CAPABILITIES[Role.FRONT_DESK] = ROLE_CAPABILITIES[Role.FRONT_DESK] | {Cap.TELEHEALTH_LOBBY, Cap.TELEHEALTH_LINKS}
ROLE_CAPABILITIES[Role.PROGRAM_DIRECTOR] = ROLE_CAPABILITIES[Role.PROGRAM_DIRECTOR] | {Cap.TELEHEALTH_MANAGE}
ROLE_CAPABILITIES[Role.ORG_ADMIN] = ROLE_CAPABILITIES[Role.ORG_ADMIN] | {Cap.TELEHEALTH_MANAGE}
# --- end telehealth grants ------------------------------------------------------------------------------
# --- compliance grants: everyone who plans or delivers care sees weekly hours; directors and org admins set
# the rules. Billers see hours too: per-diem billable days come from the same engine.
for _role in (Role.PROGRAM_DIRECTOR, Role.THERAPIST, Role.GROUP_FACILITATOR, Role.PRESCRIBER, Role.NURSE,
              Role.CASE_MANAGER, Role.PEER_SPECIALIST, Role.BILLER, Role.ORG_ADMIN):
    ROLE_CAPABILITIES[_role] = ROLE_CAPABILITIES[_role] | {Cap.COMPLIANCE_VIEW}
for _role in (Role.PROGRAM_DIRECTOR, Role.ORG_ADMIN):
    ROLE_CAPABILITIES[_role] = ROLE_CAPABILITIES[_role] | {Cap.COMPLIANCE_CONFIGURE}
# --- end compliance grants ------------------------------------------------------------------------------

# --- billing insight grants (minimum necessary, 45 CFR 164.502(b)) -----------------------------------------
# Billing KPIs and fee schedules carry no patient data: directors and org admins read them to run programs;
# billers too. Claims, charges and remittances (patient data) stay billing.view / billing.manage.
for _role in (Role.BILLER, Role.ORG_ADMIN, Role.PROGRAM_DIRECTOR):
    ROLE_CAPABILITIES[_role] = ROLE_CAPABILITIES[_role] | {Cap.BILLING_INSIGHT}
# --- end billing insight grants ----------------------------------------------------------------------------


def capabilities_of(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())


def all_capabilities() -> set[str]:
    return {value for name, value in vars(Cap).items() if name.isupper()}


# Who may grant which role. A program director grants roles at or below her own, only at the sites where she
# is director; only an organization admin grants organization admin. Ranks compare roles for that rule only.
ROLE_RANK: dict[str, int] = {
    Role.ORG_ADMIN: 3,
    Role.PROGRAM_DIRECTOR: 2,
    Role.THERAPIST: 1,
    Role.GROUP_FACILITATOR: 1,
    Role.PRESCRIBER: 1,
    Role.NURSE: 1,
    Role.CASE_MANAGER: 1,
    Role.PEER_SPECIALIST: 1,
    Role.BILLER: 1,
    Role.FRONT_DESK: 1,
}
# A role that can manage staff at a site (the only ones whose holders may grant roles there).
STAFF_ADMIN_ROLES = frozenset({Role.ORG_ADMIN, Role.PROGRAM_DIRECTOR})
