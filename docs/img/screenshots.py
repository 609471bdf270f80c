"""Take the README screenshots from a running demo.

    TOBLOOP_DATA_DIR=$(mktemp -d) tobloop demo --port 8765 &
    python docs/img/screenshots.py http://127.0.0.1:8765

Uses Playwright with the system Chromium (CHROMIUM_PATH, default /usr/bin/chromium). Chinese
glyphs need a CJK font on the machine (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def main(base: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"), args=ARGS
        )
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="en-US")
        page.goto(f"{base}/login/")
        page.fill("#id_username", "demo")
        page.fill("#id_password", "demo")
        page.click("button[type=submit]")
        page.wait_for_url("**/w/demo/accounts/")
        page.screenshot(path=HERE / "accounts.png")
        # An account with a gap in its decision chain shows the risk flag and the chain.
        page.goto(f"{base}/w/demo/accounts/?risk_flag=no_decision_maker&segment=mid")
        page.locator("[data-testid=accounts-table] td.name a").first.click()
        page.wait_for_url("**/w/demo/accounts/*/")
        # The panels of other modules (usage, health, timeline, NPS) load after the page.
        page.wait_for_function("!document.querySelector('[data-panel] .loading')")
        page.wait_for_timeout(1200)  # chart animations
        page.screenshot(path=HERE / "account.png", full_page=True)
        page.goto(f"{base}/w/demo/success/health/")
        page.screenshot(path=HERE / "health.png")
        page.goto(f"{base}/w/demo/success/worklist/")
        page.screenshot(path=HERE / "worklist.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
