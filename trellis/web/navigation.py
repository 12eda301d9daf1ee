"""Registries for the main navigation and the patient chart's tabs. Apps register from AppConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    capability: str | None
    order: int = 100
    icon: str = ""
    section: str = ""


# Items registered with order >= ADMIN_ORDER are grouped under this heading unless they name a section.
ADMIN_ORDER = 800
ADMIN_SECTION = "Administration"


@dataclass(frozen=True)
class ChartTab:
    key: str
    label: str
    url_name: str
    capability: str | None
    order: int = 100


_NAV: dict[str, NavItem] = {}
_TABS: dict[str, ChartTab] = {}


def register_nav(
    key: str,
    label: str,
    url_name: str,
    capability: str | None,
    order: int = 100,
    icon: str = "",
    section: str = "",
) -> None:
    """Add a main-navigation link. `section` is an optional heading; items ordered >= 800 default to
    "Administration". Items are shown only to users holding `capability` (None = every signed-in user)."""
    if not section and order >= ADMIN_ORDER:
        section = ADMIN_SECTION
    _NAV[key] = NavItem(key, label, url_name, capability, order, icon, section)


def register_chart_tab(key: str, label: str, url_name: str, capability: str | None, order: int = 100) -> None:
    """`url_name` must take one kwarg, `patient_id` (the patient's public UUID)."""
    _TABS[key] = ChartTab(key, label, url_name, capability, order)


def nav_items_for(user: Any, current_path: str = "", *, in_chart: bool = False) -> list[dict[str, Any]]:
    from trellis.accounts.policies import has_capability

    # Unsectioned items first, then each section (ordered by its first item), so headings appear once.
    section_rank: dict[str, int] = {}
    for nav in _NAV.values():
        if nav.section:
            section_rank[nav.section] = min(section_rank.get(nav.section, nav.order), nav.order)
    items = []
    for item in sorted(
        _NAV.values(),
        key=lambda i: (i.section != "", section_rank.get(i.section, 0), i.section, i.order, i.label),
    ):
        if item.capability and not has_capability(user, item.capability):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "active": False,
                "icon": item.icon,
                "section": item.section,
            }
        )
    if in_chart:
        for item in items:
            item["active"] = item["key"] == "patients"
        return items
    # Only the most specific match is current: /referrals/sources/ marks "Referral sources", not "Referrals".
    matches = [
        i
        for i in items
        if (current_path == i["url"] if i["url"] == "/" else current_path.startswith(i["url"]))
    ]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items


def chart_tabs_for(user: Any, patient: Any) -> list[dict[str, Any]]:
    from trellis.accounts.policies import has_capability

    tabs = []
    for tab in sorted(_TABS.values(), key=lambda t: (t.order, t.label)):
        if tab.capability and not has_capability(user, tab.capability):
            continue
        try:
            url = reverse(tab.url_name, kwargs={"patient_id": patient.public_id})
        except NoReverseMatch:
            continue
        tabs.append({"key": tab.key, "label": tab.label, "url": url})
    return tabs
