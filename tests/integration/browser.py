"""What the browser tests share: Debian's chromium through Playwright, logging in, waiting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots, kept for a person to look at
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless chromium per test module, with a fresh profile: there is no internet, and
    an old profile's state must not leak in."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `apt-get install chromium` (make test does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1100},
        )
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()


LOGIN_TIMEOUT_MS = 120_000


def logged_in_page(browser, url: str, email: str, password: str):
    """A new page of `browser`, logged in to Label Studio at `url` (whoever was logged in before
    is logged out)."""
    browser.clear_cookies()
    page = browser.new_page()
    # Label Studio's first page loads are slow on a loaded 2-core machine (Playwright's 30 s
    # default timed out there once): a login gets LOGIN_TIMEOUT_MS.
    page.goto(f"{url}/user/login/", timeout=LOGIN_TIMEOUT_MS)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/user/login" not in u, timeout=LOGIN_TIMEOUT_MS)
    return page


def wait_for(condition, timeout: float = 30.0, what: str = "condition"):
    """The first true value of `condition()`, polled every half second; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")
