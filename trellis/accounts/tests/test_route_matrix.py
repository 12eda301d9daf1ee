"""Route x role x data category: every URL route declares the category it shows, and each role is refused
every route of a category the capability table does not let it read (403 before the view runs, audited, no
PHI in the body). Expectations are generated from `CATEGORY_READERS`; the rules the security review asked
for are also spelled out by hand below, so a change to the table that breaks them fails here."""

from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.accounts.capabilities import (
    CATEGORY_READ_CAP,
    CATEGORY_READERS,
    ROLE_CAPABILITIES,
    DataCategory,
)
from trellis.accounts.models import Role
from trellis.accounts.policies import may_open_route, may_read_category
from trellis.accounts.routes import ROUTE_CATEGORIES
from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.tests.test_url_walk import ALL_PATTERNS, _kwargs_for, _required_capability

CATEGORIES = sorted(v for k, v in vars(DataCategory).items() if k.isupper())
PATIENT_DATA = sorted(c for c in CATEGORIES if CATEGORY_READ_CAP[c] is not None)


def _expected(role: str, category: str) -> bool:
    """Allow/deny for one cell of the matrix, straight from the capability table."""
    if CATEGORY_READ_CAP[category] is None:
        return True
    return role in CATEGORY_READERS[category][0]


def test_every_route_declares_a_data_category():
    missing = [name for name, _ in ALL_PATTERNS if name not in ROUTE_CATEGORIES]
    hint = "\n".join(
        f'    "{name}": C.<{"|".join(c.upper() for c in CATEGORIES)}>,' for name in missing
    )
    assert missing == [], (
        "These routes declare no data category, so every request to them is refused (deny by default). "
        "Add a line for each to ROUTE_CATEGORIES in trellis/accounts/routes.py, choosing the most sensitive "
        "category the page or export shows (see DataCategory and CATEGORY_READERS in "
        f"trellis/accounts/capabilities.py):\n{hint}"
    )


def test_no_stale_route_declarations():
    known = {name for name, _ in ALL_PATTERNS}
    stale = sorted(set(ROUTE_CATEGORIES) - known)
    assert stale == [], f"remove these from trellis/accounts/routes.py (no such URL name any more): {stale}"


def test_every_category_is_known_and_has_readers_or_no_patient_data():
    assert set(ROUTE_CATEGORIES.values()) <= set(CATEGORIES)
    assert set(CATEGORY_READ_CAP) == set(CATEGORIES)
    assert set(CATEGORY_READERS) == set(PATIENT_DATA)
    for category, (roles, why) in CATEGORY_READERS.items():
        assert roles and why.strip(), category
        assert set(roles) <= set(Role.values)


def test_the_table_keeps_the_minimum_necessary_rules():
    """Written by hand (not generated) so the table cannot drift away from them unnoticed."""
    for role in (Role.FRONT_DESK, Role.BILLER):
        for category in ("clinical", "plans", "notes", "part2", "private_notes"):
            assert not _expected(role, category), (role, category)
    assert not _expected(Role.PEER_SPECIALIST, "clinical")
    assert not _expected(Role.PEER_SPECIALIST, "plans")
    assert not _expected(Role.PEER_SPECIALIST, "diagnoses")
    assert _expected(Role.BILLER, "diagnoses")  # codes go on the claim
    assert _expected(Role.BILLER, "billing")
    assert not _expected(Role.THERAPIST, "billing")
    assert not _expected(Role.ORG_ADMIN, "clinical")
    for role in (Role.THERAPIST, Role.PRESCRIBER, Role.NURSE, Role.PROGRAM_DIRECTOR):
        for category in ("demographics", "clinical", "diagnoses", "plans", "notes", "part2"):
            assert _expected(role, category), (role, category)


def test_role_capabilities_follow_the_category_table():
    for role in Role.values:
        for category in PATIENT_DATA:
            held = CATEGORY_READ_CAP[category] in ROLE_CAPABILITIES[role]
            assert held == _expected(role, category), (role, category)


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_policy_answers_the_matrix(make_staff, role):
    user = make_staff(role)
    for name, _ in ALL_PATTERNS:
        category = ROUTE_CATEGORIES[name]
        assert may_open_route(user, name) == _expected(role, category), (role, name, category)


@pytest.mark.django_db
def test_inactive_user_reads_no_category(make_staff):
    user = make_staff(Role.PROGRAM_DIRECTOR)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not any(may_read_category(user, c) for c in PATIENT_DATA)


DENIED_CELLS = [
    (role, name, pattern)
    for role in Role.values
    for name, pattern in ALL_PATTERNS
    if not _expected(role, ROUTE_CATEGORIES.get(name, DataCategory.PUBLIC))
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_each_role_is_refused_every_route_of_a_category_it_may_not_read(client_for, make_staff, patient, role):
    user = make_staff(role)
    c = client_for(user)
    cells = [(name, pattern) for r, name, pattern in DENIED_CELLS if r == role]
    before = AuditEvent.objects.filter(actor=user, action=AuditAction.DENIED).count()
    refused = 0
    wrong = []
    for name, pattern in cells:
        url = reverse(name, kwargs=_kwargs_for(pattern, patient.public_id))
        for method in ("get", "post"):
            response = getattr(c, method)(url)
            if response.status_code == 405:
                continue
            body = response.content.decode(errors="replace")
            if response.status_code not in (403, 404) or patient.legal_last_name in body:
                wrong.append(f"{method.upper()} {name} ({ROUTE_CATEGORIES[name]}) -> {response.status_code}")
            refused += 1
    assert wrong == [], f"{role} reached routes of categories it may not read:\n" + "\n".join(wrong)
    denials = AuditEvent.objects.filter(actor=user, action=AuditAction.DENIED).count() - before
    assert denials == refused, f"{role}: {refused} refusals, {denials} audited"


ALLOWED_GETS = [
    (role, name, pattern)
    for role in Role.values
    for name, pattern in ALL_PATTERNS
    if ROUTE_CATEGORIES.get(name) not in (None, DataCategory.PUBLIC)
    and _expected(role, ROUTE_CATEGORIES[name])
    and _required_capability(pattern) in ROLE_CAPABILITIES[role] | {None}
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_allowed_cells_are_not_refused_by_category(client_for, make_staff, patient, role):
    """The other half of the matrix: where the table allows the category and the role holds the route's
    capability, the category floor does not refuse (the object itself may still be 404: random ids)."""
    user = make_staff(role)
    c = client_for(user)
    refused = []
    for _, name, pattern in [cell for cell in ALLOWED_GETS if cell[0] == role]:
        url = reverse(name, kwargs=_kwargs_for(pattern, patient.public_id))
        by_category = AuditEvent.objects.filter(actor=user, object_type="view", object_id=name,
                                                detail__has_key="category")
        before = by_category.count()
        c.get(url)
        if by_category.count() > before:
            refused.append(name)
    assert refused == [], f"{role} refused by category on routes the table allows: {refused}"


def test_the_matrix_has_cells_on_both_sides():
    assert len(DENIED_CELLS) > 100
    assert len(ALLOWED_GETS) > 100
