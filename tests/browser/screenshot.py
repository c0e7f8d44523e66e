"""Screenshot of the page on the local stack: ``python -m tests.browser.screenshot docs/screenshot.png``.

``make screenshot`` runs it twice: the desktop view (``docs/screenshot.png``, README) and a 390 px phone
(``docs/screenshot-phone.png``). The stack is the browser tests' (``movers/local/api_stack.py``: local AWS,
the API function from the working tree, deterministic demo items), so two runs draw the same data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from movers.local.api_stack import ApiStack
from tests.browser.conftest import launch_chromium


def capture(
    output: Path,
    width: int = 1280,
    height: int = 900,
    ticker_history: bool = True,
    timezone: str | None = None,
) -> Path:
    """Start the stack, load the page, open one ticker's history, save a full-page PNG.

    Widths under 500 px are drawn as a phone (``is_mobile``); ``timezone`` is the viewer's (IANA name), the
    machine's own when None.
    """
    from playwright.sync_api import sync_playwright

    stack = ApiStack().start()
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                page = browser.new_page(
                    viewport={"width": width, "height": height},
                    is_mobile=width < 500,
                    locale="en-US",
                    timezone_id=timezone,
                )
                page.goto(stack.base_url + "/")
                page.wait_for_selector("#movers-table tbody tr")
                page.wait_for_function("() => window.moversPage && window.moversPage.trendChart")
                page.wait_for_selector("#leaders-lists:not([hidden]) #leaders-gainers li")
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
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--no-history", action="store_true", help="leave the ticker history closed")
    parser.add_argument("--timezone", help="the viewer's IANA time zone (default: this machine's)")
    args = parser.parse_args(argv)
    shot = capture(
        args.output,
        width=args.width,
        height=args.height,
        ticker_history=not args.no_history,
        timezone=args.timezone,
    )
    print(shot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
