"""The design system holds: app templates use web's components and formats instead of writing their own.

A cheap scan of every template and app stylesheet outside trellis/web. When it fails, use the component named in
the message (trellis/web/README.md) instead of the hand-written markup.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from trellis.core import formats

ROOT = Path(__file__).resolve().parents[2]  # trellis/
WEB = ROOT / "web"
APP_TEMPLATES = sorted(p for p in ROOT.rglob("templates/**/*.html") if WEB not in p.parents)
APP_STYLESHEETS = sorted(p for p in ROOT.rglob("static/**/*.css") if WEB not in p.parents)
ALL_STYLESHEETS = sorted(ROOT.rglob("static/**/*.css"))

TEMPLATE_RULES = [
    (re.compile(r'class="[^"]*\bbadge\b'), "a hand-written badge: use {% status_badge %}, {% badge %} or {% count_badge %}"),
    (re.compile(r'class="[^"]*\bempty-state\b'), "a hand-written empty state: use {% empty_state %}"),
    (re.compile(r"\|\s*date\s*:"), "an ad-hoc date format: use fmt_date / fmt_day / fmt_datetime / fmt_stamp / iso_date"),
    (re.compile(r"\|\s*time\s*:"), "an ad-hoc time format: use fmt_time or {% time_range %}"),
    (re.compile(r"\|\s*hm\b"), "the old hours filter: use minutes_hm"),
    (re.compile(r'style="[^"]*(?<!-)\b(?:color|background|border)[\w-]*\s*:'), "an inline colour: use a class and the tokens"),
    (re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b(?![\w-])"), "a hex colour: use the colour tokens"),
]


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if ROOT in path.parents else path.name


def _offences(paths: list[Path], rules: list[tuple[re.Pattern[str], str]]) -> list[str]:
    found = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            # Fragment links (href="#p-…") and ids are not colours.
            scrubbed = re.sub(r'(?:href|data-[\w-]+|hx-[\w-]+)="#[^"]*"', "", line)
            for pattern, why in rules:
                if pattern.search(scrubbed):
                    found.append(f"{_name(path)}:{number}: {why}")
    return found


def test_the_scan_sees_the_templates():
    assert len(APP_TEMPLATES) > 50
    assert any(p.name == "board.css" for p in APP_STYLESHEETS)


@pytest.mark.parametrize(
    "line",
    [
        '<span class="badge badge-danger">Late</span>',
        '<div class="empty-state"><p>Nothing here.</p></div>',
        '{{ note.signed_at|date:"m/d/Y" }}',
        "{{ s.start|time:'H:i' }}",
        "{{ week.minutes|hm }}",
        '<p style="color: #b42318">',
        '<td style="background:red">',
    ],
)
def test_the_rules_catch_a_hand_written_pattern(tmp_path, line):
    bad = tmp_path / "bad.html"
    bad.write_text(line + "\n", encoding="utf-8")
    assert _offences([bad], TEMPLATE_RULES)


def test_the_rules_let_components_and_fragment_links_pass(tmp_path):
    good = tmp_path / "good.html"
    good.write_text(
        '{% status_badge note.status %} {{ d|fmt_date }} <a href="#p-1">x</a> '
        '<span class="swatch" style="--swatch: {{ s.accent_color }}"></span>\n',
        encoding="utf-8",
    )
    assert _offences([good], TEMPLATE_RULES) == []


def test_app_templates_use_the_shared_components_and_formats():
    assert _offences(APP_TEMPLATES, TEMPLATE_RULES) == []


def test_app_stylesheets_use_colour_tokens():
    colour = [(re.compile(r"#[0-9a-fA-F]{3,6}\b|rgba?\("), "a literal colour: use a token from web/css/trellis.css")]
    offences = _offences(APP_STYLESHEETS, colour)
    # Print rules are black on white by design.
    printed = {
        f"{_name(p)}:{n}"
        for p in APP_STYLESHEETS
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if line.lstrip().startswith("@media print")
    }
    assert [o for o in offences if o.split(": ", 1)[0] not in printed] == []


def test_every_custom_property_used_is_defined():
    defined: set[str] = set()
    used: dict[str, str] = {}
    for css in ALL_STYLESHEETS:
        text = css.read_text(encoding="utf-8")
        defined |= set(re.findall(r"(--[\w-]+)\s*:", text))
        for name, fallback in re.findall(r"var\((--[\w-]+)\s*(,)?", text):
            if not fallback:  # var(--x, fallback) is deliberate (set from JS or inline)
                used.setdefault(name, str(css.relative_to(ROOT)))
    assert {name: where for name, where in used.items() if name not in defined} == {}


def test_the_one_date_and_time_format():
    moment = dt.datetime(2026, 12, 1, 19, 5, tzinfo=dt.UTC)
    assert formats.date(moment, "America/New_York") == "Dec 1, 2026"
    assert formats.day(moment, "America/New_York") == "Tue, Dec 1, 2026"
    assert formats.time(moment, "America/New_York") == "14:05"
    assert formats.stamp(moment, "America/New_York") == "Dec 1, 2026 14:05 EST"
    assert formats.iso_date(dt.date(2026, 1, 5)) == "2026-01-05"
