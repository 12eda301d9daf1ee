"""Creating an organization: one service, audited, and the hook that lets higher layers install their
per-organization defaults in the same transaction."""

from __future__ import annotations

import pytest

from trellis.accounts.models import Organization
from trellis.accounts.services import create_organization
from trellis.accounts.signals import organization_created
from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_create_organization_is_audited_and_announced():
    seen = []

    def receiver(sender, *, organization, created_by, **kwargs):  # noqa: ANN001, ANN003, ANN202
        seen.append((organization.name, created_by))

    organization_created.connect(receiver, dispatch_uid="test-receiver")
    try:
        org = create_organization(name="  Pine Hill Recovery ", idle_timeout_minutes=20)
    finally:
        organization_created.disconnect(dispatch_uid="test-receiver")
    assert org.name == "Pine Hill Recovery" and org.idle_timeout_minutes == 20
    assert seen == [("Pine Hill Recovery", None)]
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(org.public_id)).exists()


def test_a_failing_receiver_leaves_no_organization():
    def receiver(sender, **kwargs):  # noqa: ANN001, ANN003, ANN202
        raise DomainError("defaults could not be installed")

    organization_created.connect(receiver, dispatch_uid="failing-receiver")
    try:
        with pytest.raises(DomainError):
            create_organization(name="Half made")
    finally:
        organization_created.disconnect(dispatch_uid="failing-receiver")
    assert not Organization.objects.filter(name="Half made").exists()


def test_bad_input_is_refused_with_a_message():
    with pytest.raises(DomainError, match="Give the organization a name"):
        create_organization(name="  ")
    with pytest.raises(TypeError):
        create_organization(name="X", mrn_counter=5)
