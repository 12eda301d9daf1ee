"""trellis_ui template tags and filters (no database)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import models
from django.template import Context, Template
from django.utils import timezone

from trellis.web.templatetags.trellis_ui import age_on, initials, minutes_hm, status_badge


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (125, "2 h 05 min"),
        (60, "1 h 00 min"),
        (45, "45 min"),
        (0, "0 min"),
        (600, "10 h 00 min"),
        (-65, "-1 h 05 min"),
        ("90", "1 h 30 min"),
        (None, ""),
        ("", ""),
        ("abc", ""),
    ],
)
def test_minutes_hm(value, expected):
    assert minutes_hm(value) == expected


def test_age_on_from_date_of_birth():
    born = dt.date(2000, 6, 15)
    assert age_on(born, dt.date(2026, 6, 14)) == 25
    assert age_on(born, dt.date(2026, 6, 15)) == 26
    assert age_on(born, "2026-12-31") == 26


def test_age_on_leap_day_birthday():
    born = dt.date(2004, 2, 29)
    assert age_on(born, dt.date(2026, 2, 28)) == 21
    assert age_on(born, dt.date(2026, 3, 1)) == 22


def test_age_on_uses_object_method_or_attribute():
    class P:
        date_of_birth = dt.date(1990, 1, 1)

        def age_on(self, on):  # noqa: ANN001, ANN202
            return 99

    assert age_on(P(), dt.date(2026, 1, 1)) == 99
    assert age_on(SimpleNamespace(date_of_birth=dt.date(1990, 1, 2)), dt.date(2026, 1, 1)) == 35


def test_age_on_unknown_is_blank():
    assert age_on(None, dt.date(2026, 1, 1)) == ""
    assert age_on("not a date", dt.date(2026, 1, 1)) == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Ana María Ortiz", "AO"),
        ("Cher", "C"),
        ("  sam   rivera ", "SR"),
        ("", ""),
        (None, ""),
        (SimpleNamespace(initials="jd"), "JD"),
        (SimpleNamespace(initials=None, display_name="Pat Lee"), "PL"),
    ],
)
def test_initials(value, expected):
    assert initials(value) == expected


class Status(models.TextChoices):
    OVERDUE = "overdue", "Overdue"
    NO_SHOW = "no_show", "No-show"


def test_status_badge_kinds_and_labels():
    assert status_badge("active") == '<span class="badge badge-success" data-status="active">Active</span>'
    assert "badge-danger" in status_badge(Status.OVERDUE) and ">Overdue<" in status_badge(Status.OVERDUE)
    assert ">No-show<" in status_badge(Status.NO_SHOW)
    assert "badge-warn" in status_badge("draft")
    assert "badge-info" in status_badge("planned")
    assert "badge-neutral" in status_badge("discharged")
    assert "badge-neutral" in status_badge("something_new")
    assert ">Something new<" in status_badge("something_new")
    assert "badge-warn" in status_badge("active", kind="warn")
    assert ">Custom<" in status_badge("active", label="Custom")


def test_status_badge_escapes():
    html = status_badge("<script>", label="<b>x</b>")
    assert "<script>" not in html and "<b>" not in html


def test_tags_in_templates():
    t = Template(
        "{% load trellis_ui %}{% status_badge s %}|{{ m|minutes_hm }}|{{ n|initials }}|"
        "{% empty_state 'No notes yet' 'Notes you write appear here.' '/new/' 'Write a note' %}"
    )
    html = t.render(Context({"s": "signed", "m": 125, "n": "Sam Rivera"}))
    assert "badge-success" in html
    assert "2 h 05 min" in html
    assert "|SR|" in html
    assert 'class="empty-state"' in html
    assert "No notes yet" in html and "Notes you write appear here." in html
    assert 'href="/new/"' in html and "Write a note" in html


def test_empty_state_without_action_has_no_button():
    html = Template("{% load trellis_ui %}{% empty_state 'Nothing here' %}").render(Context())
    assert "Nothing here" in html and "btn" not in html


def test_pagination_component_keeps_filters():
    from django.core.paginator import Paginator
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/notes/", {"status": "draft", "page": "2"})
    page = Paginator(list(range(45)), 20).page(2)
    html = render_to_string("web/components/pagination.html", {"page": page}, request=request)
    assert "21–40 of 45" in html
    assert 'href="?status=draft&amp;page=1"' in html and 'href="?status=draft&amp;page=3"' in html
    assert "Page 2 of 3" in html
    single = render_to_string(
        "web/components/pagination.html", {"page": Paginator([1], 20).page(1)}, request=request
    )
    assert "pagination" not in single


def test_badge_and_count_badge_render_the_component():
    html = Template(
        '{% load trellis_ui %}{% badge "42 CFR Part 2" "info" %}|{% badge text "bogus" %}|{% count_badge 3 "+" %}'
    ).render(Context({"text": "<b>"}))
    assert '<span class="badge badge-info">42 CFR Part 2</span>' in html
    assert '<span class="badge badge-neutral">&lt;b&gt;</span>' in html  # unknown kind -> neutral, text escaped
    assert '<span class="badge count-badge">3+</span>' in html


def test_date_and_time_filters_use_the_sites_zone():
    moment = dt.datetime(2026, 7, 4, 13, 5, tzinfo=dt.UTC)  # 09:05 EDT, 06:05 PDT
    template = Template(
        "{% load trellis_ui %}{{ m|fmt_date }}|{{ m|fmt_time }}|{{ m|fmt_time:'America/Los_Angeles' }}|"
        "{% time_range m m 'America/New_York' %}|{{ m|fmt_stamp:'America/New_York' }}|{{ m|iso_date }}|{{ none|fmt_date }}"
    )
    with timezone.override("America/New_York"):
        html = template.render(Context({"m": moment, "none": None}))
    assert html == "Jul 4, 2026|09:05|06:05|09:05–09:05|Jul 4, 2026 09:05 EDT|2026-07-04|"
