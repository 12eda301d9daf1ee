"""Role-aware actions: on the main pages, every link a role is shown opens for that role (GET, not 403), and every
form it is shown posts to a view whose declared capability the role holds. Buttons are drawn with
``user|may_open:"app:name"`` (trellis.accounts.policies.may_open), the check the view's decorator makes."""

from __future__ import annotations

import random
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse

from trellis.accounts.models import Role
from trellis.accounts.policies import may_open, view_capability
from trellis.core import demo
from trellis.core.clock import now
from trellis.core.registry import chart_tabs

pytestmark = pytest.mark.django_db

# Links that are not pages to open: signing out is a POST elsewhere; static files and the health check.
SKIP_PREFIXES = ("/static/", "/healthz", "/accounts/logout")


class _Actions(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.posts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "form" and (a.get("method") or "get").lower() == "post" and a.get("action"):
            self.posts.append(a["action"] or "")
        for attr in ("hx-get",):
            if a.get(attr):
                self.links.append(a[attr] or "")
        if a.get("hx-post"):
            self.posts.append(a["hx-post"] or "")


def _actions(html: str) -> _Actions:
    parser = _Actions()
    parser.feed(html)
    return parser


def _pages(ctx: demo.DemoContext) -> list[str]:
    from trellis.attendance.models import Attendance
    from trellis.documentation.models import ParticipantNote

    site = ctx.sites[0]
    part = (ParticipantNote.objects.filter(note__session__site=site).select_related("episode__patient", "note")
            .order_by("-note__session__starts_at").first())
    attended = Attendance.objects.filter(session__site=site).select_related("session").order_by("-pk").first()
    patient = part.episode.patient
    pages = [reverse("web:home"), reverse("patients:search"), reverse("referrals:board"),
             reverse("scheduling:week"), reverse("attendance:index"), reverse("documentation:worklist"),
             reverse("documentation:note", kwargs={"note_id": part.note.public_id}),
             reverse("attendance:mark", kwargs={"session_id": attended.session.public_id})]
    pages += [reverse(tab.url_name, kwargs={"patient_id": patient.public_id}) for tab in chart_tabs()]
    return pages


def test_every_button_and_link_on_the_main_pages_opens_for_the_role(client_for: Any) -> None:
    ctx = demo.run(demo.DemoContext(rng=random.Random(11), today=now().date(), weeks=1, n_patients=8))
    pages = _pages(ctx)
    site = ctx.sites[0]
    problems: list[str] = []
    covered = 0
    for role in Role.values:
        people = ctx.staff.get(role, [])
        user = next((u for u in people if u.memberships.filter(site=site).exists() and not u.force_mfa), None)
        if user is None:
            continue
        c = client_for(user)
        opened: dict[str, int] = {}  # one GET per view name (and role) is enough
        for page in pages:
            response = c.get(page)
            if response.status_code != 200:
                continue  # a page this role is not shown at all (its nav entry is capability-gated)
            found = _actions(response.content.decode())
            for href in found.links:
                parts = urlsplit(href)
                if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(
                        SKIP_PREFIXES):
                    continue
                try:
                    match = resolve(parts.path)
                except Resolver404:
                    problems.append(f"{role}: {page} links to {parts.path}, which does not exist")
                    continue
                if match.view_name in opened:
                    continue
                target = f"{parts.path}?{parts.query}" if parts.query else parts.path
                status = c.get(target).status_code
                opened[match.view_name] = status
                covered += 1
                if status == 403:
                    problems.append(f"{role}: {page} shows a link to {match.view_name} ({target}), which answers 403")
            for action in found.posts:
                path = urlsplit(action).path
                try:
                    match = resolve(path)
                except Resolver404:
                    problems.append(f"{role}: {page} posts to {path}, which does not exist")
                    continue
                if not may_open(user, match.view_name):
                    problems.append(f"{role}: {page} shows a form posting to {match.view_name}, which requires "
                                    f"{view_capability(match.view_name)}")
    assert covered > 50, "the walk opened too few links to mean anything"
    assert not problems, "\n".join(sorted(set(problems)))


def test_may_open_follows_the_views_declared_capability(make_staff: Any) -> None:
    therapist, front_desk = make_staff("therapist"), make_staff("front_desk")
    assert view_capability("patients:create") is not None
    assert may_open(front_desk, "patients:create") and not may_open(therapist, "patients:create")
    assert may_open(therapist, "web:home")
    with pytest.raises(LookupError):
        may_open(therapist, "patients:no_such_page")
