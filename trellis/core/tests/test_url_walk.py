"""Walk every URL pattern: anonymous users go to sign-in, users without the capability are refused,
and staff of another site cannot see a patient's data (404, audited as a denial)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from trellis.accounts.capabilities import CATEGORY_READ_CAP, ROLE_CAPABILITIES
from trellis.accounts.routes import ROUTE_CATEGORIES
from trellis.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

# Reachable without signing in, on purpose.
PUBLIC = {
    "accounts:login",
    "accounts:logout",  # POST-only; signs out whoever is signed in
    "web:healthz",
}
# Public by design with their own unguessable-token check (iCal feeds, patient portal links...).
TOKEN_PROTECTED_PREFIXES = (
    "scheduling:ical", "scheduling:feed", "telehealth:join", "portal:", "accounts:password_reset_confirm",
    "outcomes:link", "outcomes:form",
)


def _walk(resolver: URLResolver, namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(_walk(entry, ns))
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def _kwargs_for(pattern: URLPattern, patient_uuid: uuid.UUID | None = None) -> dict:
    kwargs = {}
    for name, converter in pattern.pattern.converters.items():
        cls = type(converter).__name__
        if name == "patient_id" and patient_uuid is not None:
            kwargs[name] = patient_uuid
        elif cls == "UUIDConverter":
            kwargs[name] = uuid.uuid4()
        elif cls == "IntConverter":
            kwargs[name] = 1
        elif cls == "PathConverter" or cls == "StringConverter" or cls == "SlugConverter":
            kwargs[name] = "x"
        else:  # project converters (e.g. dates) expose a sample
            kwargs[name] = getattr(converter, "sample", "2026-01-05")
    return kwargs


ALL_PATTERNS = _walk(get_resolver())
PROTECTED = [(n, p) for n, p in ALL_PATTERNS if n not in PUBLIC and not n.startswith(TOKEN_PROTECTED_PREFIXES)]


def _required_capability(pattern: URLPattern):
    """The capability the view's decorator declared; "MISSING" when it declared none (a defect)."""
    return getattr(pattern.callback, "required_capability", "MISSING")


def test_every_view_declares_its_capability():
    """Every protected view is wrapped by capability_required or login_required_view (deny by default)."""
    undeclared = [name for name, p in PROTECTED if _required_capability(p) == "MISSING"]
    assert undeclared == [], f"views without a capability declaration: {undeclared}"


@pytest.mark.parametrize("name,pattern", PROTECTED, ids=[n for n, _ in PROTECTED])
def test_anonymous_is_sent_to_sign_in(client, name, pattern):
    url = reverse(name, kwargs=_kwargs_for(pattern))
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if response.status_code == 405:
            continue
        assert response.status_code == 302, f"{method.upper()} {name} -> {response.status_code}"
        assert response["Location"].startswith(reverse("accounts:login")), name


def _role_without(capability: str) -> str | None:
    for role, caps in ROLE_CAPABILITIES.items():
        if capability not in caps:
            return role
    return None


CAPPED = [(n, p) for n, p in PROTECTED if _required_capability(p) not in (None, "MISSING")]


@pytest.mark.parametrize("name,pattern", CAPPED, ids=[n for n, _ in CAPPED])
def test_role_without_capability_is_refused(client_for, make_staff, patient, name, pattern):
    capability = _required_capability(pattern)
    role = _role_without(capability)
    if role is None:
        pytest.skip(f"every role holds {capability}")
    user = make_staff(role)
    url = reverse(name, kwargs=_kwargs_for(pattern, patient.public_id))
    c = client_for(user)
    for method in ("get", "post"):
        response = getattr(c, method)(url)
        if response.status_code == 405:
            continue
        assert response.status_code == 403, f"{role} {method.upper()} {name} -> {response.status_code}"
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.DENIED).exists()


PATIENT_VIEWS = [(n, p) for n, p in CAPPED if "patient_id" in p.pattern.converters]


def test_there_are_patient_views_to_check():
    assert len(PATIENT_VIEWS) >= 2


@pytest.mark.parametrize("name,pattern", PATIENT_VIEWS, ids=[n for n, _ in PATIENT_VIEWS])
def test_other_site_staff_cannot_see_patient(client_for, make_staff, other_site, patient, name, pattern):
    capability = _required_capability(pattern)
    category_cap = CATEGORY_READ_CAP[ROUTE_CATEGORIES[name]]
    role = next(r for r, caps in ROLE_CAPABILITIES.items() if capability in caps and category_cap in caps | {None})
    outsider = make_staff(role, at=other_site)
    url = reverse(name, kwargs=_kwargs_for(pattern, patient.public_id))
    response = client_for(outsider).get(url)
    assert response.status_code == 404, f"{name} -> {response.status_code}"
    assert patient.legal_last_name not in response.content.decode()
    assert AuditEvent.objects.filter(
        actor=outsider, action=AuditAction.DENIED, patient=patient, outcome="denied"
    ).exists(), f"{name}: denial not audited"
