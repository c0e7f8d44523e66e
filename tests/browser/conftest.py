"""Fixtures for tests that need the running read API (browser and schemathesis): one stack per session.

The stack comes from ``movers/local/api_stack.py`` (local AWS + API function + local gateway). To run these
tests against the Terraform-applied stack instead, change only ``api_stack`` here.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from movers.local.api_stack import ApiStack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def warm_up(stack: ApiStack, workers: int = 3) -> None:
    """Start the function's workers before the first page load, which sends three requests at once.

    On a loaded machine three cold workers can take longer than the page's 10 s request timeout; the page
    under test would then show its (correct) error state instead of the table the test waits for.
    """

    def fetch(_: int) -> bytes:
        with urlopen(f"{stack.api_url}/movers?limit=1", timeout=120) as reply:
            return bytes(reply.read())

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(fetch, range(workers)))


@pytest.fixture(scope="session")
def api_stack() -> Iterator[ApiStack]:
    stack = ApiStack().start()
    try:
        warm_up(stack)
        yield stack
    finally:
        stack.stop()


def launch_chromium(playwright: Any) -> Any:
    """Debian's chromium, headless; never a Playwright-downloaded browser."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium is missing: run `make tools` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()
