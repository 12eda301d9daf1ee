#!/usr/bin/env python
"""Take a PNG screenshot of a Trellis page with headless Debian Chromium.

Usage:
    python tools/screenshot.py URL OUT.png [--email E --password P]
                               [--width 1280 --height 900] [--full]
                               [--otp CODE] [--wait-for SELECTOR] [--print]

With --email/--password it first signs in through /accounts/login/ on the
same origin as URL (and, if the login leads to an MFA step and --otp is given,
submits the code). Uses Playwright's sync API with /usr/bin/chromium (Debian
package; never `playwright install`). Exit status 0 on success, 1 on failure.
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urljoin, urlsplit

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url")
    p.add_argument("out", help="output PNG path")
    p.add_argument("--email")
    p.add_argument("--password")
    p.add_argument("--otp", help="TOTP code, if the login asks for one")
    p.add_argument("--login-path", default="/accounts/login/")
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=900)
    p.add_argument("--full", action="store_true", help="capture the full scrollable page")
    p.add_argument("--wait-for", help="CSS selector to wait for before the screenshot")
    p.add_argument("--print", dest="print_media", action="store_true", help="emulate print media")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per navigation")
    return p.parse_args(argv)


def login(page, base: str, args: argparse.Namespace) -> None:
    login_url = urljoin(base, args.login_path)
    page.goto(login_url, wait_until="networkidle")
    # Field names differ between auth backends: try the usual ones.
    for selector in ('input[name="email"]', 'input[name="username"]', 'input[type="email"]'):
        if page.locator(selector).count():
            page.fill(selector, args.email)
            break
    else:
        raise RuntimeError(f"no email/username field on {login_url}")
    page.fill('input[type="password"]', args.password)
    with page.expect_navigation(wait_until="networkidle"):
        page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    if args.otp:
        otp_field = page.locator(
            'input[name="otp_token"], input[name="code"], input[name="token"], input[autocomplete="one-time-code"]'
        )
        if otp_field.count():
            otp_field.first.fill(args.otp)
            with page.expect_navigation(wait_until="networkidle"):
                page.locator('form button[type="submit"], form input[type="submit"]').first.click()
    if urlsplit(page.url).path.rstrip("/") == args.login_path.rstrip("/"):
        raise RuntimeError("login failed: still on the login page (check the credentials)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print(
            "playwright is not installed: pip install playwright (no `playwright install` needed)",
            file=sys.stderr,
        )
        return 1

    parts = urlsplit(args.url)
    base = f"{parts.scheme}://{parts.netloc}/"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            context = browser.new_context(viewport={"width": args.width, "height": args.height})
            context.set_default_timeout(args.timeout * 1000)
            page = context.new_page()
            errors: list[str] = []
            page.on(
                "console",
                lambda m: (
                    errors.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None
                ),
            )
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            if args.email and args.password:
                login(page, base, args)
            response = page.goto(args.url, wait_until="networkidle")
            if args.wait_for:
                page.wait_for_selector(args.wait_for)
            if args.print_media:
                page.emulate_media(media="print")
            page.screenshot(path=args.out, full_page=args.full)
            status = response.status if response else "?"
            print(f"{args.out}: {page.url} (HTTP {status}, title {page.title()!r})")
            for line in errors:
                print(line, file=sys.stderr)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # a tool: report, do not dump a traceback
        print(f"screenshot failed: {exc}", file=sys.stderr)
        sys.exit(1)
