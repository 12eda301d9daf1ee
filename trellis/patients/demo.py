"""Demo patients: plausible names, ages and contact data, bulk-inserted so 10,000+ stays fast."""

from __future__ import annotations

from datetime import date, timedelta

from stdnum import luhn

from trellis.core.demo import DemoContext
from trellis.patients.models import Patient, PatientSite
from trellis.patients.services import MRN_START

FIRST_F = ["Olivia", "Emma", "Ava", "Sophia", "Mia", "Isabella", "Amelia", "Harper", "Evelyn", "Abigail",
           "Camila", "Aaliyah", "Zoe", "Maya", "Leah", "Nora", "Priya", "Grace", "Valeria", "Jasmine"]
FIRST_M = ["Liam", "Noah", "Oliver", "Elijah", "James", "Mateo", "Lucas", "Ethan", "Jackson", "Aiden",
           "Malik", "Diego", "Caleb", "Owen", "Julian", "Andre", "Samuel", "Kai", "Darnell", "Wyatt"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
        "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Okafor",
        "Kowalczyk", "Haddad", "Nakamura", "O'Brien", "Fitzgerald", "Castillo", "Patel", "Schneider"]
STREETS = ["Maple Ave", "Oak St", "Pine St", "Elm St", "Washington Ave", "Lark St", "Madison Ave", "State St",
           "Hudson Ave", "Delaware Ave", "River Rd", "Union St"]
CITIES = [("Albany", "12203"), ("Troy", "12180"), ("Schenectady", "12305"), ("Saratoga Springs", "12866"),
          ("Cohoes", "12047"), ("Rensselaer", "12144")]
LANGUAGES = ["English"] * 17 + ["Spanish", "Spanish", "Arabic"]
PRONOUNS = {"F": "she/her", "M": "he/him"}
NICKNAMES = {"Isabella": "Bella", "Abigail": "Abby", "Evelyn": "Evie", "Valeria": "Val", "Jasmine": "Jaz",
             "Elijah": "Eli", "James": "Jamie", "Jackson": "Jack", "Samuel": "Sam", "Julian": "Jules",
             "Oliver": "Ollie", "Andre": "Dre", "Matthew": "Matt", "Sophia": "Sophie"}


def _dob(ctx: DemoContext, adolescent: bool) -> date:
    if adolescent:
        age_days = ctx.rng.randint(13 * 365 + 30, 17 * 365 + 300)
    else:
        age_days = ctx.rng.randint(19 * 365, 67 * 365)
    return ctx.today - timedelta(days=age_days)


def seed(ctx: DemoContext) -> None:
    org, rng = ctx.org, ctx.rng
    rows: list[Patient] = []
    for n in range(ctx.n_patients):
        # Site mix: main campus carries PHP + adult IOP; Riverside adolescents; Lakeview evening IOP.
        site_index = rng.choices([0, 1, 2], weights=[55, 25, 20])[0]
        adolescent = site_index == 1 and rng.random() < 0.8
        sex = rng.choice(["F", "M", "F", "M", "X"]) if not adolescent else rng.choice(["F", "M"])
        first = rng.choice(FIRST_F if sex == "F" else FIRST_M if sex == "M" else FIRST_F + FIRST_M)
        last = rng.choice(LAST)
        city, zip_code = rng.choice(CITIES)
        base = str(MRN_START + n + 1)
        rows.append(
            Patient(
                organization=org,
                mrn=base + luhn.calc_check_digit(base),
                legal_first_name=first,
                legal_last_name=last,
                preferred_name=NICKNAMES.get(first, "") if rng.random() < 0.3 else "",
                date_of_birth=_dob(ctx, adolescent),
                sex_at_birth=sex,
                gender_identity="Non-binary" if sex == "X" else ("Woman" if sex == "F" else "Man"),
                pronouns="they/them" if sex == "X" else PRONOUNS[sex],
                phone=f"(518) 555-{rng.randint(1000, 9999):04d}",
                email=f"{first.lower()}.{last.lower().replace(chr(39), '')}{n}@mail.example",
                address_line1=f"{rng.randint(2, 1999)} {rng.choice(STREETS)}",
                city=city,
                state="NY",
                postal_code=zip_code,
                emergency_contact_name=f"{rng.choice(FIRST_F + FIRST_M)} {last}",
                emergency_contact_relationship=rng.choice(["Parent", "Spouse", "Partner", "Sibling", "Friend"])
                if not adolescent else "Parent",
                emergency_contact_phone=f"(518) 555-{rng.randint(1000, 9999):04d}",
                preferred_language=rng.choice(LANGUAGES),
                primary_site=ctx.sites[site_index],
                search_first=first.lower(),
                search_last=last.lower(),
            )
        )
    Patient.objects.bulk_create(rows, batch_size=2000)
    org.mrn_counter = ctx.n_patients
    org.save(update_fields=["mrn_counter"])
    ctx.patients = list(Patient.objects.filter(organization=org).select_related("primary_site").order_by("mrn"))
    PatientSite.objects.bulk_create(
        [PatientSite(patient=p, site=p.primary_site) for p in ctx.patients], batch_size=5000
    )
    ctx.say(f"{len(ctx.patients)} patients.")
