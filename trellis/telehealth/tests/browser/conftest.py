"""An ASGI (daphne) server in a thread of the test process, so the browser gets HTTP and WebSockets while
sharing the test database and the in-memory channel layer (pytest-django's live_server is WSGI only)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from trellis.core.testing.browser import CHROMIUM, LAUNCH_ARGS

MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="session")
def asgi_server() -> Iterator[str]:
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from twisted.internet import reactor

    from trellis.config.asgi import application

    server = Server(application=application, endpoints=build_endpoint_description_strings(host="127.0.0.1", port=0),
                    signal_handlers=False, verbosity=0)
    thread = threading.Thread(target=server.run, daemon=True, name="daphne-test")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.listening_addresses:
        if time.monotonic() > deadline:
            raise RuntimeError("daphne did not start")
        time.sleep(0.05)
    host, port = server.listening_addresses[0]
    yield f"http://127.0.0.1:{port}"
    reactor.callFromThread(reactor.stop)
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def media_browser(browser: Any) -> Iterator[Any]:
    """A second Chromium with fake camera/microphone, launched from the shared Playwright instance (one
    process cannot run two sync Playwright instances); `browser` skips when Chromium is missing."""
    instance = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS + MEDIA_ARGS)
    yield instance
    instance.close()


def staff_context(browser: Any, base_url: str, user: Any) -> Any:
    from django.conf import settings
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="browser", defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}])
    return context
