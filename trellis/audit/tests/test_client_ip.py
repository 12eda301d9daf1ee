"""The address recorded in the audit trail cannot be forged through X-Forwarded-For."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from trellis.audit.middleware import client_ip


def _request(forwarded: str | None, peer: str = "10.0.0.5"):  # noqa: ANN202
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **extra)


def test_the_client_is_taken_from_the_right_skipping_one_trusted_proxy(settings):
    settings.TRELLIS_TRUSTED_PROXY_COUNT = 1
    # The client sent a forged "6.6.6.6"; our proxy appended the real peer it saw.
    assert client_ip(_request("6.6.6.6, 203.0.113.9")) == "203.0.113.9"


def test_two_trusted_proxies(settings):
    settings.TRELLIS_TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("6.6.6.6, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRELLIS_TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request("6.6.6.6", peer="198.51.100.4")) == "198.51.100.4"


@pytest.mark.parametrize("header", ["", "not-an-ip", "6.6.6.6<script>"])
def test_a_short_or_garbage_header_never_becomes_the_address(settings, header):
    settings.TRELLIS_TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(header, peer="198.51.100.4")) in ("198.51.100.4", None)


@pytest.mark.django_db
def test_a_forged_header_does_not_reach_the_trail(settings, client_for, make_staff, patient):
    from django.urls import reverse

    from trellis.audit.models import AuditEvent

    settings.TRELLIS_TRUSTED_PROXY_COUNT = 1
    user = make_staff("therapist")
    client_for(user).get(reverse("patients:chart", kwargs={"patient_id": patient.public_id}),
                         HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    event = AuditEvent.objects.filter(actor=user, action="read").latest("id")
    assert event.ip_address == "203.0.113.9"
