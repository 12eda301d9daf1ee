"""Shared pytest fixtures: an organization with two sites, staff factories and signed-in clients."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright sync API + ORM in browser tests


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
