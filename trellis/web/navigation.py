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


@dataclass(frozen=True)
class ChartTab:
    key: str
    label: str
    url_name: str
    capability: str | None
    order: int = 100


_NAV: dict[str, NavItem] = {}
_TABS: dict[str, ChartTab] = {}


def register_nav(key: str, label: str, url_name: str, capability: str | None, order: int = 100, icon: str = "") -> None:
    _NAV[key] = NavItem(key, label, url_name, capability, order, icon)


def register_chart_tab(key: str, label: str, url_name: str, capability: str | None, order: int = 100) -> None:
    """`url_name` must take one kwarg, `patient_id` (the patient's public UUID)."""
    _TABS[key] = ChartTab(key, label, url_name, capability, order)


def nav_items_for(user: Any, current_path: str = "") -> list[dict[str, Any]]:
    from trellis.accounts.policies import has_capability

    items = []
    for item in sorted(_NAV.values(), key=lambda i: (i.order, i.label)):
        if item.capability and not has_capability(user, item.capability):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append({"key": item.key, "label": item.label, "url": url, "active": active, "icon": item.icon})
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
