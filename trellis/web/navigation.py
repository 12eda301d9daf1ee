"""The main navigation for one user, built from the registry in trellis.core.registry."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from trellis.accounts.policies import has_capability, may_open_route
from trellis.core.registry import ADMIN_SECTION, nav_entries

__all__ = ["ADMIN_SECTION", "nav_items_for"]


def nav_items_for(user: Any, current_path: str = "", *, in_chart: bool = False) -> list[dict[str, Any]]:
    # Unsectioned items first, then each section (ordered by its first item), so headings appear once.
    section_rank: dict[str, int] = {}
    for nav in nav_entries():
        if nav.section:
            section_rank[nav.section] = min(section_rank.get(nav.section, nav.order), nav.order)
    items = []
    for item in sorted(
        nav_entries(),
        key=lambda i: (i.section != "", section_rank.get(i.section, 0), i.section, i.order, i.label),
    ):
        if item.capability and not has_capability(user, item.capability):
            continue
        if not may_open_route(user, item.url_name):
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
