"""Every counter on Today equals the length of the list it links to, for one working site and for "All my sites".

The counters are read from the registry (trellis.core.registry), so a counter an app adds later is covered
without touching this test. A counter's URL names its list by its fragment (#id); the list's rows carry
``data-row``. A counter whose list is empty may link to a page without that element (an empty state).
"""

from __future__ import annotations

import random
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest

from trellis.accounts.middleware import ACTIVE_SITE_KEY
from trellis.accounts.policies import has_capability, user_sites
from trellis.core import demo
from trellis.core.clock import now
from trellis.core.registry import TodayContext, today_counters
from trellis.web.selectors import today_for

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _RowCounter(HTMLParser):
    """Counts elements carrying data-row inside the element whose id is `target` (None: it was not found)."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target
        self.depth = 0  # >0 while inside the target element
        self.found = False
        self.rows = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if self.depth:
            if "data-row" in names:
                self.rows += 1
            if tag not in VOID:
                self.depth += 1
        elif names.get("id") == self.target:
            self.found = True
            if "data-row" in names:
                self.rows += 1
            if tag not in VOID:
                self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in VOID:
            self.depth -= 1


def count_rows(html: str, target: str) -> int | None:
    parser = _RowCounter(target)
    parser.feed(html)
    return parser.rows if parser.found else None


def _client(client_for: Any, user: Any, site: Any) -> Any:
    c = client_for(user)
    session = c.session
    if site is not None:
        session[ACTIVE_SITE_KEY] = str(site.public_id)
    else:
        session.pop(ACTIVE_SITE_KEY, None)
    session.save()
    return c


def test_every_counter_equals_its_list(db: Any, client_for: Any) -> None:
    ctx = demo.run(demo.DemoContext(rng=random.Random(7), today=now().date(), weeks=1, n_patients=10))
    users = [u for people in ctx.staff.values() for u in people]
    checked: dict[str, int] = {}
    nonzero = 0
    for panel in today_counters():
        for user in users:
            if panel.capability is not None and not has_capability(user, panel.capability):
                continue
            sites = user_sites(user)
            # one working site (the first and, for people at several sites, the last), then all of them
            for active in [sites[0], sites[-1], None] if len(sites) > 1 else [sites[0], None]:
                today = today_for(user, active)
                counters = panel.provider(user, TodayContext(day=today.day, sites=today.ctx.sites,
                                                             active_site=active))
                client = _client(client_for, user, active)
                for counter in counters:
                    parts = urlsplit(counter.url)
                    assert parts.fragment, f"{panel.key}: {counter.url} names no list (#id)"
                    response = client.get(f"{parts.path}?{parts.query}" if parts.query else parts.path)
                    assert response.status_code == 200, (panel.key, counter.url, response.status_code)
                    rows = count_rows(response.content.decode(), parts.fragment)
                    where = active.code if active else "all"
                    assert (rows or 0) == counter.value, (
                        f"{panel.key} for {user.email} at {where}: counter says {counter.value} "
                        f"({counter.label}), {counter.url} lists {rows}")
                    if counter.value:
                        assert rows is not None
                        nonzero += 1
                    checked[panel.key] = checked.get(panel.key, 0) + 1
    registered = {p.key for p in today_counters()}
    assert set(checked) == registered, f"no demo user sees {registered - set(checked)}"
    assert nonzero, "every counter was 0: the test proves nothing"


def test_all_sites_board_lists_every_site(db: Any, make_staff: Any, site: Any, other_site: Any,
                                          client_for: Any) -> None:
    """The referral board with "All my sites" shows both sites' referrals (it used to show the first only)."""
    from trellis.accounts.models import SiteMembership
    from trellis.referrals.services import create_referral

    director = make_staff("program_director")
    SiteMembership.objects.create(user=director, site=other_site, role="program_director")
    for s, name in ((site, "Ann"), (other_site, "Bea")):
        create_referral(site=s, created_by=director, first_name=name, last_name="Test", owner=director,
                        next_step="Call back", next_step_due=now().date())
    c = _client(client_for, director, None)
    html = c.get("/referrals/").content.decode()
    assert count_rows(html, "board") == 2
    c = _client(client_for, director, other_site)
    html = c.get("/referrals/").content.decode()
    assert count_rows(html, "board") == 1 and "Bea" in html and "Ann T" not in html
