"""Screenshot of the page on the local stack: ``python -m tests.browser.screenshot docs/screenshot.png``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.browser.conftest import launch_chromium
from tests.browser.stack import ApiStack


def capture(output: Path, width: int = 1280, height: int = 900, ticker_history: bool = True) -> Path:
    """Start the stack, load the page, open one ticker's history, save a full-page PNG."""
    from playwright.sync_api import sync_playwright

    stack = ApiStack().start()
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_page(viewport={"width": width, "height": height}, locale="en-US")
                page.goto(stack.base_url + "/")
                page.wait_for_selector("#movers-table tbody tr")
                page.wait_for_function("() => window.moversPage && window.moversPage.trendChart")
                if ticker_history:
                    page.locator("#movers-table tr.biggest button.ticker").click()
                    page.wait_for_selector("#history-table tbody tr")
                    page.wait_for_function("() => window.moversPage.historyChart")
                page.evaluate("() => window.scrollTo(0, 0)")
                output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(output), full_page=True)
            finally:
                browser.close()
    finally:
        stack.stop()
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", type=Path, nargs="?", default=Path("docs/screenshot.png"))
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args(argv)
    print(capture(args.output, width=args.width))
    return 0


if __name__ == "__main__":
    sys.exit(main())
