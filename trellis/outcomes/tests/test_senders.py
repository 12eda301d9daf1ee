"""Delivery of self-completion links: a real HTTP exchange with a Twilio-compatible gateway, refusals before
anything is created, and gateway failures that never turn a created link into an error page."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from trellis.core.errors import DomainError
from trellis.outcomes import senders, services
from trellis.outcomes.models import SelfCompletionLink


class _Gateway(BaseHTTPRequestHandler):
    received: list[dict] = []  # noqa: RUF012
    status = 201

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers["Content-Length"])
        _Gateway.received.append({"path": self.path, "auth": self.headers["Authorization"],
                                  "form": urllib.parse.parse_qs(self.rfile.read(length).decode())})
        self.send_response(_Gateway.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"sid": "SM123"}).encode())

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def gateway(settings):
    _Gateway.received, _Gateway.status = [], 201
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TRELLIS_OUTCOMES_SENDER = "trellis.outcomes.senders.TwilioSender"
    settings.TRELLIS_SMS_API_BASE = f"http://127.0.0.1:{server.server_port}"
    settings.TRELLIS_SMS_ACCOUNT_SID, settings.TRELLIS_SMS_AUTH_TOKEN = "AC42", "secret"
    settings.TRELLIS_SMS_FROM = "+15005550006"
    yield _Gateway
    server.shutdown()


def test_text_message_goes_to_the_gateway_without_phi(gateway, episode, therapist,
                                                      django_capture_on_commit_callbacks):
    patient = episode.patient
    patient.phone = "(555) 234-5678"
    patient.save(update_fields=["phone"])
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="sms",
                                     actor=therapist, base_url="https://trellis.example")
    (request,) = gateway.received
    assert request["path"] == "/2010-04-01/Accounts/AC42/Messages.json"
    assert base64.b64decode(request["auth"].split()[1]).decode() == "AC42:secret"
    assert request["form"]["To"] == ["+15552345678"] and request["form"]["From"] == ["+15005550006"]
    body = request["form"]["Body"][0]
    assert issued.token in body and episode.program.name in body
    for phi in (patient.legal_first_name, patient.legal_last_name, patient.mrn, "PHQ"):
        assert phi.lower() not in body.lower()


def test_gateway_failure_is_logged_not_raised(gateway, episode, therapist, django_capture_on_commit_callbacks,
                                              caplog):
    gateway.status = 500
    patient = episode.patient
    patient.phone = "(555) 234-5678"
    patient.save(update_fields=["phone"])
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="sms",
                                     actor=therapist)
    assert SelfCompletionLink.objects.filter(pk=issued.link.pk).exists()
    failure = [r for r in caplog.records if r.getMessage() == "outcomes link delivery failed"]
    assert failure and failure[0].link == str(issued.link.public_id)
    assert "555" not in caplog.text and "234-5678" not in caplog.text


def test_text_refused_up_front_when_the_sender_cannot_text(settings, episode, therapist):
    settings.TRELLIS_OUTCOMES_SENDER = "trellis.outcomes.senders.DjangoMailSender"
    patient = episode.patient
    patient.phone = "(555) 234-5678"
    patient.save(update_fields=["phone"])
    with pytest.raises(DomainError, match="Text messages are not set up"):
        services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="sms", actor=therapist)
    assert not SelfCompletionLink.objects.exists()


@pytest.mark.parametrize(("phone", "expected"), [("(555) 234-5678", "+15552345678"), ("1-555-234-5678", "+15552345678")])
def test_e164(phone, expected):
    assert senders.e164(phone) == expected


def test_e164_refuses_a_short_number():
    with pytest.raises(DomainError):
        senders.e164("234-5678")
