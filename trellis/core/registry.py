"""Registries that a higher layer reads: main navigation, the patient chart's tabs and Today's panels.

Each app registers its entries from `AppConfig.ready()`; the web layer reads them. Keeping the registries in
core lets every app contribute without importing web (the top layer) and lets web show them without
importing every app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Items registered with order >= ADMIN_ORDER are grouped under this heading unless they name a section.
ADMIN_ORDER = 800
ADMIN_SECTION = "Administration"


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    capability: str | None
    order: int = 100
    icon: str = ""
    section: str = ""


@dataclass(frozen=True)
class ChartTab:
    key: str
    label: str
    url_name: str
    capability: str | None
    order: int = 100


@dataclass
class TodayContext:
    """What every Today panel is computed for: the user's local day and the sites in view."""

    day: date
    sites: list[Any] = field(default_factory=list)
    active_site: Any = None


@dataclass(frozen=True)
class TodayCounter:
    value: int
    label: str
    url: str
    tone: str = ""  # "", "warn" or "danger"; the label always says what the number means


CounterProvider = Callable[[Any, TodayContext], list[TodayCounter]]
SectionProvider = Callable[[Any, TodayContext], "dict[str, Any] | None"]


@dataclass(frozen=True)
class TodayCounters:
    key: str
    provider: CounterProvider
    capability: str | None
    order: int = 100


@dataclass(frozen=True)
class TodaySection:
    key: str
    template_name: str
    provider: SectionProvider
    capability: str | None
    order: int = 100


ChartPanelProvider = Callable[[Any, Any, date], "dict[str, Any] | None"]


@dataclass(frozen=True)
class ChartPanel:
    """A card on the chart's overview, owned by the app whose data it shows."""

    key: str
    template_name: str
    provider: ChartPanelProvider
    capability: str | None
    order: int = 100


_NAV: dict[str, NavItem] = {}
_TABS: dict[str, ChartTab] = {}
_COUNTERS: dict[str, TodayCounters] = {}
_SECTIONS: dict[str, TodaySection] = {}
_CHART_PANELS: dict[str, ChartPanel] = {}


def register_nav(
    key: str,
    label: str,
    url_name: str,
    capability: str | None,
    order: int = 100,
    icon: str = "",
    section: str = "",
) -> None:
    """Add a main-navigation link, shown only to users holding `capability` (None = every signed-in user).
    `section` is an optional heading; items ordered >= 800 default to "Administration"."""
    if not section and order >= ADMIN_ORDER:
        section = ADMIN_SECTION
    _NAV[key] = NavItem(key, label, url_name, capability, order, icon, section)


def register_chart_tab(key: str, label: str, url_name: str, capability: str | None, order: int = 100) -> None:
    """`url_name` must take one kwarg, `patient_id` (the patient's public UUID)."""
    _TABS[key] = ChartTab(key, label, url_name, capability, order)


def register_today_counter(
    key: str, provider: CounterProvider, *, capability: str | None, order: int = 100
) -> None:
    """Counters on Today: `provider(user, ctx)` returns the counters, each linking to the list it counts."""
    _COUNTERS[key] = TodayCounters(key, provider, capability, order)


def register_today_section(
    key: str, template_name: str, provider: SectionProvider, *, capability: str | None, order: int = 100
) -> None:
    """A card on Today rendered from `template_name` with the dict `provider(user, ctx)` returns (None hides
    it)."""
    _SECTIONS[key] = TodaySection(key, template_name, provider, capability, order)


def register_chart_panel(
    key: str, template_name: str, provider: ChartPanelProvider, *, capability: str | None, order: int = 100
) -> None:
    """A card on the chart overview rendered from `template_name` with `provider(user, patient, today)`'s
    dict (None hides it). Cards are shown to users holding `capability` at one of the patient's sites."""
    _CHART_PANELS[key] = ChartPanel(key, template_name, provider, capability, order)


def nav_entries() -> list[NavItem]:
    return list(_NAV.values())


def chart_tabs() -> list[ChartTab]:
    return sorted(_TABS.values(), key=lambda t: (t.order, t.label))


def today_counters() -> list[TodayCounters]:
    return sorted(_COUNTERS.values(), key=lambda c: (c.order, c.key))


def today_sections() -> list[TodaySection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def chart_panels() -> list[ChartPanel]:
    return sorted(_CHART_PANELS.values(), key=lambda p: (p.order, p.key))


# --- Session panels: cards on a session's attendance screen contributed by higher apps (telehealth's "who is
# waiting in the video lobby"). `provider(user, session)` returns a context dict, or None to hide the card.
SessionPanelProvider = Callable[[Any, Any], "dict[str, Any] | None"]


@dataclass(frozen=True)
class SessionPanel:
    key: str
    template_name: str
    provider: SessionPanelProvider
    capability: str | None
    order: int = 100


_SESSION_PANELS: dict[str, SessionPanel] = {}


def register_session_panel(
    key: str, template_name: str, provider: SessionPanelProvider, *, capability: str | None, order: int = 100
) -> None:
    _SESSION_PANELS[key] = SessionPanel(key, template_name, provider, capability, order)


def session_panels() -> list[SessionPanel]:
    return sorted(_SESSION_PANELS.values(), key=lambda p: (p.order, p.key))


# --- Plan-review panels: evidence other apps put beside a treatment-plan review (outcomes' score trends, the
# hours attended) so the reviewer rates progress against data, not memory. `provider(user, episode, today)`
# returns a context dict, or None to hide the card.
ReviewPanelProvider = Callable[[Any, Any, date], "dict[str, Any] | None"]

_REVIEW_PANELS: dict[str, ChartPanel] = {}


def register_plan_review_panel(
    key: str, template_name: str, provider: ReviewPanelProvider, *, capability: str | None, order: int = 100
) -> None:
    _REVIEW_PANELS[key] = ChartPanel(key, template_name, provider, capability, order)


def plan_review_panels() -> list[ChartPanel]:
    return sorted(_REVIEW_PANELS.values(), key=lambda p: (p.order, p.key))


# --- Hours badges: the per-patient "counted hours this week" bar is owned by compliance (above attendance), but
# the attendance roster, track ledger and other lower pages show it. A lower view calls `hours_badges(episodes,
# day)` once per page (the provider batches: bounded queries) and gets safe HTML per episode pk; with no provider
# registered it gets {} and shows its own minutes.
HoursBadgeProvider = Callable[[Any, date], "dict[int, str]"]
_HOURS_BADGES: dict[str, HoursBadgeProvider] = {}


def register_hours_badges(provider: HoursBadgeProvider) -> None:
    _HOURS_BADGES["provider"] = provider


def hours_badges(episodes: Any, day: date) -> dict[int, str]:
    provider = _HOURS_BADGES.get("provider")
    episodes = list(episodes)
    if provider is None or not episodes:
        return {}
    return provider(episodes, day)


# --- Chart header items: compact facts a higher app shows in the header of EVERY chart tab (compliance's counted
# hours this week), not only on the overview. `provider(user, patient, today)` returns safe HTML (a short item
# with its own text label, never colour alone) or None to show nothing. The header renders on every chart
# request, so a provider must run a constant number of queries whatever the patient's history.
ChartHeaderProvider = Callable[[Any, Any, date], "str | None"]


@dataclass(frozen=True)
class ChartHeaderItem:
    key: str
    provider: ChartHeaderProvider
    capability: str | None
    order: int = 100


_CHART_HEADER_ITEMS: dict[str, ChartHeaderItem] = {}


def register_chart_header_item(
    key: str, provider: ChartHeaderProvider, *, capability: str | None, order: int = 100
) -> None:
    _CHART_HEADER_ITEMS[key] = ChartHeaderItem(key, provider, capability, order)


def chart_header_items() -> list[ChartHeaderItem]:
    return sorted(_CHART_HEADER_ITEMS.values(), key=lambda i: (i.order, i.key))
