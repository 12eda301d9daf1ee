"""Demo organization: Cedar Ridge Behavioral Health, three sites, staff in every role."""

from __future__ import annotations

from datetime import time, timedelta

from django.contrib.auth.hashers import make_password

from trellis.accounts.models import Credential, Role, Site, SiteMembership, StaffProfile, User
from trellis.accounts.services import create_organization
from trellis.core.demo import DEMO_PASSWORD, DemoContext

SITES = [
    # name, code, address, city, state, zip, tz, phone, npi, accent, welcome
    ("Cedar Ridge — Main Campus", "MAIN", "412 Linden Avenue", "Albany", "NY", "12203-1701", "America/New_York",
     "(518) 555-0142", "1679576722", "#1f6f5c",
     "Welcome to Cedar Ridge. Take a breath — your group will start shortly."),
    ("Cedar Ridge — Riverside", "RIV", "88 Water Street", "Troy", "NY", "12180-3408", "America/New_York",
     "(518) 555-0177", "1245319599", "#2d5a8c", "Welcome to Riverside. We're glad you're here."),
    ("Cedar Ridge — Lakeview (Evening)", "LAKE", "2100 Shoreline Drive", "Saratoga Springs", "NY", "12866-2215",
     "America/New_York", "(518) 555-0190", "1003000126", "#7a4b8f",
     "Good evening, and welcome to Lakeview."),
]

# (full name, email local part, role, site index or None for all, credentials, title, license)
STAFF = [
    ("Dana Whitfield", "dana.whitfield", Role.ORG_ADMIN, None, "", "Operations Director", None),
    ("Dr. Miriam Okafor", "miriam.okafor", Role.PROGRAM_DIRECTOR, 0, "PsyD", "Clinical Director", "Psychologist"),
    ("Samuel Reyes", "samuel.reyes", Role.PROGRAM_DIRECTOR, 1, "LCSW", "Program Director, Riverside", "LCSW"),
    ("Priya Natarajan", "priya.natarajan", Role.THERAPIST, 0, "LCSW", "Primary Therapist", "LCSW"),
    ("Marcus Bell", "marcus.bell", Role.THERAPIST, 0, "LMHC", "Primary Therapist", "LMHC"),
    ("Hannah Cho", "hannah.cho", Role.THERAPIST, 1, "LMSW", "Therapist (supervised)", "LMSW"),
    ("Tomás Alvarez", "tomas.alvarez", Role.THERAPIST, 2, "LCSW", "Evening Therapist", "LCSW"),
    ("Grace Mensah", "grace.mensah", Role.GROUP_FACILITATOR, 0, "CASAC", "Group Facilitator", "CASAC"),
    ("Leo Fischer", "leo.fischer", Role.GROUP_FACILITATOR, 1, "", "Skills Group Facilitator", None),
    ("Dr. Aaron Feld", "aaron.feld", Role.PRESCRIBER, 0, "MD", "Attending Psychiatrist", "MD"),
    ("Nadia Haddad", "nadia.haddad", Role.PRESCRIBER, 1, "PMHNP-BC", "Psychiatric Nurse Practitioner", "NP"),
    ("Rosa Delgado", "rosa.delgado", Role.NURSE, 0, "RN", "Program Nurse", "RN"),
    ("Kevin Park", "kevin.park", Role.CASE_MANAGER, 0, "", "Case Manager", None),
    ("Imani Brooks", "imani.brooks", Role.PEER_SPECIALIST, 0, "CRPA", "Peer Recovery Advocate", None),
    ("Janet Kowalski", "janet.kowalski", Role.BILLER, None, "", "Billing Specialist", None),
    ("Oliver Grant", "oliver.grant", Role.FRONT_DESK, 0, "", "Front Desk", None),
    ("Beatriz Santos", "beatriz.santos", Role.FRONT_DESK, 1, "", "Front Desk, Riverside", None),
    ("Chris Morgan", "chris.morgan", Role.THERAPIST, 0, "LCSW", "Therapist (MFA walkthrough account)", "LCSW"),
]

DEMO_NPIS = ["1234567893", "1932102084", "1457392847", "1861478257", "1598764326"]  # check digits valid (Luhn over 80840 + NPI)


def seed(ctx: DemoContext) -> None:
    org = create_organization(name="Cedar Ridge Behavioral Health", relax_mfa_in_dev=True)
    ctx.org = org
    for (name, code, addr, city, state, zip_, tz, phone, npi, accent, welcome) in SITES:
        ctx.sites.append(
            Site.objects.create(
                organization=org, name=name, code=code, address_line1=addr, city=city, state=state,
                postal_code=zip_, time_zone=tz, phone=phone, npi=npi, tax_id="14-1234567",
                display_name=name.replace("Cedar Ridge — ", "Cedar Ridge "), accent_color=accent,
                welcome_text=welcome, opens_at=time(7, 0), closes_at=time(21, 30),
            )
        )
    ctx.password_hash = make_password(DEMO_PASSWORD)
    by_email: dict[str, User] = {}
    for index, (full, local, role, site_index, creds, title, license_type) in enumerate(STAFF):
        user = User.objects.create(
            email=f"{local}@cedarridge.example",
            full_name=full,
            organization=org,
            password=ctx.password_hash,
            force_mfa=(local == "chris.morgan"),
        )
        by_email[local] = user
        sites = ctx.sites if site_index is None else [ctx.sites[site_index]]
        SiteMembership.objects.bulk_create([SiteMembership(user=user, site=s, role=role) for s in sites])
        ctx.staff.setdefault(role, []).append(user)
        StaffProfile.objects.create(
            user=user, title=title, credentials=creds,
            npi=DEMO_NPIS[index % len(DEMO_NPIS)] if role in {Role.THERAPIST, Role.PRESCRIBER} else "",
            is_physician=creds in {"MD", "DO"},
        )
        if license_type:
            Credential.objects.create(
                user=user, license_type=license_type, license_number=f"{ctx.rng.randint(100000, 999999)}",
                state="NY", expires_on=ctx.today + timedelta(days=ctx.rng.randint(20, 700)),
            )
    # Directors and prescribers cover the satellites too; the supervised therapist's notes need co-signature.
    SiteMembership.objects.bulk_create(
        [
            SiteMembership(user=by_email["miriam.okafor"], site=ctx.sites[2], role=Role.PROGRAM_DIRECTOR),
            SiteMembership(user=by_email["aaron.feld"], site=ctx.sites[2], role=Role.PRESCRIBER),
            SiteMembership(user=by_email["grace.mensah"], site=ctx.sites[2], role=Role.GROUP_FACILITATOR),
            SiteMembership(user=by_email["kevin.park"], site=ctx.sites[1], role=Role.CASE_MANAGER),
        ]
    )
    profile = by_email["hannah.cho"].profile
    profile.supervisor = by_email["samuel.reyes"]
    profile.requires_cosign = True
    profile.save()
    ctx.extra["staff_by_email"] = by_email
    _unit_staff(ctx)
    ctx.say(f"Organization '{org.name}' with {len(ctx.sites)} sites and {len(STAFF)} staff.")


UNIT_ROLES = {Role.THERAPIST, Role.GROUP_FACILITATOR, Role.NURSE, Role.PEER_SPECIALIST, Role.CASE_MANAGER,
              Role.PROGRAM_DIRECTOR}


def _unit_staff(ctx: DemoContext) -> None:
    """Scale units (ctx.units > 1): each unit gets its own copy of the site staff who run groups, so copied programs'
    timetables never double-book anyone. Clones are not in ctx.staff (the story's people stay the story's)."""
    ctx.extra["unit_staff"] = {1: ctx.extra["staff_by_email"]}
    if ctx.units <= 1:
        return
    specs = [s for s in STAFF if s[2] in UNIT_ROLES and s[3] is not None]
    users = [
        User(email=f"{local}.u{unit}@cedarridge.example", full_name=f"{full} (unit {unit})", organization=ctx.org,
             password=ctx.password_hash)
        for unit in range(2, ctx.units + 1) for (full, local, _role, _si, _c, _t, _l) in specs
    ]
    User.objects.bulk_create(users, batch_size=2000)
    made = {u.email: u for u in User.objects.filter(email__in=[u.email for u in users])}
    memberships = []
    for unit in range(2, ctx.units + 1):
        staff = {}
        for (_full, local, role, site_index, _c, _t, _l) in specs:
            user = made[f"{local}.u{unit}@cedarridge.example"]
            staff[local] = user
            memberships.append(SiteMembership(user=user, site=ctx.sites[site_index], role=role))
        if len(ctx.sites) > 2:  # as in the story: the evening site borrows Main Campus' group facilitator
            memberships.append(SiteMembership(user=staff["grace.mensah"], site=ctx.sites[2],
                                              role=Role.GROUP_FACILITATOR))
        ctx.extra["unit_staff"][unit] = staff
    SiteMembership.objects.bulk_create(memberships, batch_size=2000)
    ctx.say(f"{len(users)} unit staff for {ctx.units - 1} extra scale units.")
