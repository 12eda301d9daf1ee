"""Accessibility checks shared by browser tests: axe-core (axe-playwright-python) and 320-px reflow.

Both return what failed (empty list: pass) so a test can assert ``== []`` and show the offenders."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

# WCAG 1.4.10 Reflow: content at 320 CSS px without scrolling in two dimensions.
REFLOW_WIDTH = 320
# A 1280x800 screen zoomed to 200 % lays the page out in 640x400 CSS px (the same media queries fire).
ZOOM_200 = {"width": 640, "height": 400}


def shots_dir() -> str:
    """Where browser tests save screenshots to look at (TRELLIS_SHOTS_DIR, else a folder in the temp dir)."""
    path = Path(os.environ.get("TRELLIS_SHOTS_DIR") or Path(tempfile.gettempdir()) / "trellis-shots")
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def axe_serious(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"] if v.get("impact") in {"serious", "critical"}
    ]


def reflow_overflow(page: Any, url: str | None = None, shot: str | None = None, *, width: int = REFLOW_WIDTH,
                    height: int = 800) -> list[str]:
    """Elements that make the whole page scroll sideways at `width` CSS px (320 unless told; 640 is 200 % zoom of
    a 1280-px screen). Scrollers like tables may scroll inside."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": height})
    try:
        if url:
            page.goto(url)
        else:
            page.wait_for_timeout(100)
        if shot:
            page.screenshot(path=shot, full_page=True)
        return page.evaluate(
            """() => {
              const doc = document.documentElement;
              if (doc.scrollWidth <= doc.clientWidth + 1) return [];
              const limit = doc.clientWidth + 1, out = [];
              for (const el of document.body.querySelectorAll('*')) {
                const r = el.getBoundingClientRect();
                if (r.width && r.right > limit) {
                  let inside = false;
                  for (let p = el.parentElement; p; p = p.parentElement) {
                    const s = getComputedStyle(p);
                    if (/(auto|scroll|hidden)/.test(s.overflowX) && p !== document.body && p !== doc) { inside = true; break; }
                  }
                  if (!inside) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                                        (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '') +
                                        ' right=' + Math.round(r.right));
                }
              }
              return out.length ? out.slice(0, 8) : ['document scrollWidth ' + doc.scrollWidth];
            }"""
        )
    finally:
        page.set_viewport_size(size)
