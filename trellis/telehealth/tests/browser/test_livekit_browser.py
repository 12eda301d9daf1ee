"""Headless Chromium (fake camera/microphone) on the pages of an organization that chose LiveKit. No LiveKit server
runs on this machine, so the tests prove what can be proved without one: the page loads the vendored SDK from
Trellis's own static files (no CDN), the SDK opens its signalling WebSocket to the organization's configured URL
with the token Trellis minted for this person and room, and when the server cannot be reached the page says so
calmly and offers to try again. It never claims to be connected: that state is only shown when the SDK reports a
connected room, which needs a real LiveKit server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client
from livekit import api as livekit_api

from trellis.audit.models import AuditEvent
from trellis.telehealth import services
from trellis.telehealth.models import JoinLink, LobbyState, PresenceEvent, VideoSettings
from trellis.telehealth.providers import LIVEKIT_CLIENT_VERSION, patient_identity, staff_identity
from trellis.telehealth.tests.browser.conftest import staff_context
from trellis.telehealth.tests.conftest import sign_telehealth
from trellis.telehealth.views import SESSION_DEVICE_OK, SESSION_LINK

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KEY, SECRET = "APIbrowser", "b" * 40
SDK = "/static/telehealth/vendor/livekit-client/livekit-client.umd.js"
CALM = "Video could not connect to the clinic's video server"


class FakeSignalling:
    """A WebSocket server standing where the LiveKit server would be. It records each request (path, query,
    whether it was a WebSocket upgrade), accepts the upgrade and closes it: it is not LiveKit and cannot join a
    room, which is exactly the failure the page must handle."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="fake-livekit")

    def _run(self) -> None:
        from websockets.asyncio.server import serve

        async def handler(ws: Any) -> None:
            await ws.close(code=1011, reason="not a LiveKit server")

        def process_request(connection: Any, request: Any) -> Any:
            upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
            self.requests.append({"path": urlsplit(request.path).path, "query": parse_qs(urlsplit(request.path).query),
                                  "upgrade": upgrade})
            return None if upgrade else connection.respond(503, "not a LiveKit server\n")

        async def main() -> None:
            self._server = await serve(handler, "127.0.0.1", 0, process_request=process_request)
            self.port = self._server.sockets[0].getsockname()[1] if hasattr(self._server, "sockets") else 0
            self._ready.set()
            await self._server.serve_forever()

        self._loop = asyncio.new_event_loop()
        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(main())

    def start(self) -> str:
        self._thread.start()
        assert self._ready.wait(10), "fake signalling server did not start"
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._loop and self._server:
            self._loop.call_soon_threadsafe(self._server.close)
        self._thread.join(timeout=5)


@pytest.fixture
def fake_livekit() -> Iterator[FakeSignalling]:
    server = FakeSignalling()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TRELLIS_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def use_livekit(organization: Any, url: str, settings: Any) -> None:
    settings.LIVEKIT_API_KEY, settings.LIVEKIT_API_SECRET = KEY, SECRET
    VideoSettings.objects.update_or_create(organization=organization,
                                           defaults={"provider": "livekit", "livekit_url": url})


def settle(done: Any) -> None:
    """Let the server finish the closed sockets' presence writes (and audit seals) before the test database is
    flushed: on PostgreSQL a write still in flight deadlocks with the flush's TRUNCATE."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (done() and not AuditEvent.objects.filter(seal__isnull=True).exists()):
        time.sleep(0.2)


def watch_network(page: Any) -> list[tuple[str, int]]:
    seen: list[tuple[str, int]] = []
    page.on("response", lambda r: seen.append((r.url, r.status)))
    return seen


def test_staff_page_opens_livekit_signalling_with_the_minted_token(media_browser, asgi_server, scene, settings,
                                                                   fake_livekit, shots):
    url = f"ws://127.0.0.1:{fake_livekit.port}"
    use_livekit(scene.site.organization, url, settings)
    context = staff_context(media_browser, asgi_server, scene.clinician)
    page = context.new_page()
    page.set_default_timeout(45_000)
    network = watch_network(page)
    page.goto(f"{asgi_server}/telehealth/sessions/{scene.session.public_id}/")
    page.get_by_text("Live", exact=True).wait_for()
    # The SDK came from Trellis's static files, and it is the pinned release.
    assert (f"{asgi_server}{SDK}", 200) in network
    assert page.evaluate("() => window.LivekitClient && window.LivekitClient.version") == LIVEKIT_CLIENT_VERSION
    assert all(u.startswith(asgi_server) for u, _ in network), "nothing is fetched from another origin (no CDN)"
    assert "Video runs on your organization's LiveKit server" in page.content()

    page.get_by_role("button", name="Join video").click()
    status = page.locator('[data-video-status][data-video-state="failed"]')
    status.wait_for()
    assert CALM in status.inner_text() and "Video connected." not in page.content()
    assert page.get_by_role("button", name="Try video again").is_visible()
    assert page.evaluate("() => window.trellisVideoRoom.engine().states().livekit") == "failed"
    page.screenshot(path=str(shots / "livekit-staff-error.png"), full_page=True)

    signalling = [r for r in fake_livekit.requests if r["upgrade"]]
    assert signalling, "the SDK opened no WebSocket to the configured LiveKit URL"
    first = signalling[0]
    assert first["path"] in ("/rtc", "/rtc/v1")  # the SDK's v1 signalling path, /rtc on its v0 fallback
    (token,) = first["query"]["access_token"]
    claims = livekit_api.TokenVerifier(KEY, SECRET).verify(token)
    assert claims.identity == staff_identity(scene.clinician.public_id) and claims.name == "Dana Clinician"
    assert claims.video.room == f"trellis-{scene.session.public_id.hex}-main" and claims.video.room_admin

    # The controls are the mesh's: mute and camera work on the local tracks even before a server answers.
    page.get_by_role("button", name="Mute", exact=True).click()
    assert page.get_by_role("button", name="Unmute").get_attribute("aria-pressed") == "true"
    page.get_by_role("button", name="Try video again").click()
    page.locator('[data-video-status][data-video-state="failed"]').wait_for()
    assert len([r for r in fake_livekit.requests if r["upgrade"]]) > len(signalling)
    context.close()
    settle(lambda: PresenceEvent.objects.filter(session=scene.session, user=scene.clinician, kind="leave").exists())


def test_patient_sees_a_calm_message_when_the_livekit_server_cannot_be_reached(media_browser, asgi_server, scene,
                                                                                 settings, shots):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    use_livekit(scene.site.organization, f"ws://127.0.0.1:{dead}", settings)
    services.issue_links(session=scene.session, user=scene.clinician, base_url=asgi_server, send=False)
    link = JoinLink.objects.filter(session=scene.session).order_by("episode_id").first()
    services.confirm_identity(link=link, date_of_birth=link.episode.patient.date_of_birth)
    sign_telehealth(link.episode.patient, scene.site)
    # Admitted earlier, then the network dropped: opening the page takes the patient straight back into the session
    # (set up through the services before the page connects, so no channel-layer event crosses threads).
    services.patient_connected(link=link, device="earlier")
    services.move_patient(link=JoinLink.objects.get(pk=link.pk), user=scene.clinician, to=LobbyState.ADMITTED)
    services.patient_disconnected(link=JoinLink.objects.get(pk=link.pk), device="earlier")
    client = Client()
    session = client.session
    session[SESSION_LINK], session[SESSION_DEVICE_OK] = str(link.public_id), str(link.public_id)
    session.save()

    context = media_browser.new_context(viewport={"width": 1100, "height": 900})
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key,
                          "url": asgi_server}])
    page = context.new_page()
    page.set_default_timeout(45_000)
    network = watch_network(page)
    page.goto(f"{asgi_server}/telehealth/visit/wait/")
    assert (f"{asgi_server}{SDK}", 200) in network
    status = page.locator('[data-video-status][data-video-state="failed"]')
    status.wait_for()
    assert CALM in status.inner_text() and "still checked in" in status.inner_text()
    assert "Video connected." not in page.content()
    assert page.evaluate("() => document.querySelector('[data-local]').srcObject !== null")  # own camera shows
    page.screenshot(path=str(shots / "livekit-patient-error.png"), full_page=True)
    # Presence is Trellis's: the patient counts as admitted and connected whatever the video server does.
    link.refresh_from_db()
    assert link.state == LobbyState.ADMITTED and link.connected
    assert patient_identity(link.public_id).startswith("patient-")
    context.close()
    settle(lambda: not JoinLink.objects.get(pk=link.pk).connected)
