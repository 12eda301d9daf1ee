"""Shared pytest fixtures: an organization with two sites, staff factories and signed-in clients."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright sync API + ORM in browser tests

# Property tests check rules, not speed (speed is measured in bench/): on a loaded CI machine Hypothesis's
# timing health checks and per-example deadline would fail a correct rule.
hypothesis_settings.register_profile("trellis", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("trellis")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Transactional tests (live servers, concurrency drills) empty every table when they finish, including the
    rows data migrations put there (built-in requirement sets, which service types count toward hours). Give
    them a serialized rollback so those rows come back for the tests that follow in the same worker."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        transactional = kwargs.get("transaction") or {"transactional_db", "live_server"} & set(
            getattr(item, "fixturenames", ()))
        if transactional and not kwargs.get("serialized_rollback"):
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(pytest.mark.django_db(*(marker.args if marker else ()), **kwargs), append=False)


@pytest.fixture(autouse=True)
def _rows_from_data_migrations(request: pytest.FixtureRequest) -> None:
    """Rows that data migrations seed (built-in requirement sets, which service types count toward hours), back
    in place for a database test that runs after a transactional test emptied the tables in the same worker
    (with --dist loadfile a transactional file can run before other files). Seeded inside the test's own
    transaction by each app's idempotent `seed_builtins()`, so nothing leaks between tests."""
    marker = request.node.get_closest_marker("django_db")
    fixtures = set(getattr(request, "fixturenames", ()))
    if not (marker or "db" in fixtures) or (marker and marker.kwargs.get("transaction")) or (
            {"transactional_db", "live_server"} & fixtures):
        return
    request.getfixturevalue("db")
    from trellis.compliance.models import RequirementSet  # after pytest-django has set Django up
    from trellis.compliance.services import seed_builtins as seed_requirement_sets
    from trellis.scheduling.models import ServiceTypeHours
    from trellis.scheduling.services import seed_builtins as seed_service_type_hours

    if not RequirementSet.objects.filter(organization=None).exists():
        seed_requirement_sets()
    if not ServiceTypeHours.objects.exists():
        seed_service_type_hours()


@pytest.fixture(autouse=True)
def _fast_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def org(db):
    from trellis.core.testing.factories import OrganizationFactory

    return OrganizationFactory(name="Test Behavioral Health")


@pytest.fixture
def site(org):
    from trellis.core.testing.factories import SiteFactory

    return SiteFactory(organization=org, name="Main Campus", code="MAIN")


@pytest.fixture
def other_site(org):
    from trellis.core.testing.factories import SiteFactory

    return SiteFactory(organization=org, name="Riverside", code="RIV", time_zone="America/Chicago")


@pytest.fixture
def make_staff(site) -> Callable:
    from trellis.core.testing.factories import make_staff as _make

    def factory(role: str = "therapist", at=None, **extra):
        return _make(role, at or site, **extra)

    return factory


@pytest.fixture
def client_for(client) -> Callable:
    """A test client signed in as `user` with MFA already verified (as after a TOTP challenge)."""
    from django.test import Client

    def login(user):
        c = Client()
        c.force_login(user)
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        session = c.session
        session["otp_device_id"] = device.persistent_id
        session.save()
        return c

    return login


@pytest.fixture
def patient(site):
    from trellis.core.testing.factories import PatientFactory

    return PatientFactory(primary_site=site, legal_first_name="Alex", legal_last_name="Rivera")


from trellis.core.testing.browser import browser, login_as, page  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _claims_outbox_in_tmp(settings, tmp_path):  # noqa: PT004
    """Claim batches submitted by file drop in a test land in the test's own folder, never in data/."""
    settings.TRELLIS_CLAIMS_DROP_DIR = tmp_path / "claims-outbox"
