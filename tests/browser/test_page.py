"""The page, driven in headless Debian chromium against the local read API (movers/local/api_stack.py)."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from stock_movers.adapters.storage import WINNER_PK, leaders_key, ticker_pk

pytestmark = pytest.mark.browser


def open_page(page: Any, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("#movers-table tbody tr")


def row_tickers(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#movers-table tbody tr", "rows => rows.map(r => r.querySelector('button.ticker').textContent)"
    )


def row_dates(page: Any) -> list[str]:
    return page.eval_on_selector_all("#movers-table tbody tr", "rows => rows.map(r => r.dataset.date)")


def winners(api_stack: Any, n: int) -> list[dict[str, Any]]:
    items = sorted((i for i in api_stack.items if i["pk"] == WINNER_PK), key=lambda i: i["sk"], reverse=True)
    return items[:n]


def test_given_stored_winners_when_page_loads_then_seven_rows_newest_first(page, api_stack):
    open_page(page, api_stack.base_url)
    expected = winners(api_stack, 7)
    assert row_dates(page) == [w["Date"] for w in expected]
    assert row_tickers(page) == [w["Ticker"] for w in expected]
    assert page.locator("#movers-table th[data-key=Date]").get_attribute("aria-sort") == "descending"
    refreshed = page.locator("#last-refreshed").text_content()
    assert "Last refreshed" in refreshed and ("EST" in refreshed or "EDT" in refreshed)
    assert "SYNTHETIC" in page.locator("#data-note").text_content()


def test_when_header_clicked_then_aria_sort_and_order_flip(page, api_stack):
    open_page(page, api_stack.base_url)
    header = page.locator("#movers-table th[data-key=PercentChange]")
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert page.locator("#movers-table th[data-key=Date]").get_attribute("aria-sort") == "none"
    expected = sorted(winners(api_stack, 7), key=lambda w: w["PercentChange"], reverse=True)
    assert row_dates(page) == [w["Date"] for w in expected]
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert row_dates(page) == [w["Date"] for w in reversed(expected)]
    # Ticker sorts A→Z first.
    page.locator("#movers-table th[data-key=Ticker] button").click()
    tickers = row_tickers(page)
    assert tickers == sorted(tickers)


def test_gains_are_green_losses_red_and_the_biggest_move_highlighted(page, api_stack):
    open_page(page, api_stack.base_url)
    expected = winners(api_stack, 7)
    assert any(w["PercentChange"] > 0 for w in expected) and any(w["PercentChange"] < 0 for w in expected)
    cells = page.eval_on_selector_all(
        "#movers-table tbody tr",
        """rows => rows.map(r => {
            const c = r.cells[2];
            return {date: r.dataset.date, cls: c.className, color: getComputedStyle(c).color,
                    biggest: r.classList.contains('biggest')};
        })""",
    )
    by_date = {c["date"]: c for c in cells}
    for w in expected:
        cell = by_date[w["Date"]]
        if w["PercentChange"] > 0:
            assert "gain" in cell["cls"] and cell["color"] == "rgb(18, 120, 74)"
        else:
            assert "loss" in cell["cls"] and cell["color"] == "rgb(180, 35, 24)"
    biggest = max(expected, key=lambda w: abs(w["PercentChange"]))
    assert [c["date"] for c in cells if c["biggest"]] == [biggest["Date"]]


def test_the_trend_chart_is_drawn_with_thirty_sessions(page, api_stack):
    open_page(page, api_stack.base_url)
    page.wait_for_function("() => window.moversPage.trendChart")
    points = page.evaluate("() => window.moversPage.trendChart.data.datasets[0].data")
    expected = list(reversed(winners(api_stack, 30)))
    assert points == pytest.approx([float(w["PercentChange"]) for w in expected])
    painted = page.evaluate(
        """() => {
            const c = document.getElementById('trend-chart');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
            return n;
        }"""
    )
    assert painted > 1000


def test_when_a_ticker_is_clicked_then_its_history_is_shown(page, api_stack):
    open_page(page, api_stack.base_url)
    assert page.locator("#history").is_hidden()
    first = winners(api_stack, 1)[0]["Ticker"]
    page.locator("#movers-table tbody tr").first.locator("button.ticker").click()
    page.wait_for_selector("#history-table tbody tr")
    assert page.locator("#history-heading").text_content() == f"History: {first}"
    stored = [i for i in api_stack.items if i["pk"] == ticker_pk(first)]
    assert page.locator("#history-table tbody tr").count() == min(30, len(stored))
    page.locator("#history-close").click()
    assert page.locator("#history").is_hidden()


def test_given_no_movers_when_page_loads_then_empty_state(page, api_stack):
    # Given an API that has nothing stored (the same stack, answered empty at the network layer)
    page.route(
        "**/v1/movers?*", lambda route: route.fulfill(status=200, content_type="application/json", body="[]")
    )
    page.goto(api_stack.base_url + "/")
    page.wait_for_selector("#empty:not([hidden])")
    assert page.locator("#empty h2").text_content() == "No movers stored yet"
    assert page.locator("#movers").is_hidden() and page.locator("#error").is_hidden()


def test_given_api_error_when_page_loads_then_message_and_retry_recovers(page, api_stack):
    failing = {"on": True}

    def handle(route: Any) -> None:
        if failing["on"]:
            body = json.dumps({"error": "InternalError", "message": "internal error"})
            route.fulfill(status=500, content_type="application/json", body=body)
        else:
            route.continue_()

    page.route("**/v1/movers?*", handle)
    page.goto(api_stack.base_url + "/")
    page.wait_for_selector("#error:not([hidden])")
    assert "HTTP 500" in page.locator("#error-message").text_content()
    failing["on"] = False
    page.locator("#retry-button").click()
    page.wait_for_selector("#movers-table tbody tr")
    assert page.locator("#error").is_hidden()
    assert page.locator("#movers-table tbody tr").count() == 7


def test_given_unreachable_api_when_page_loads_then_unreachable_message(page, api_stack):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    gateway = api_stack.gateway(config_api_url=f"http://127.0.0.1:{dead}/v1")
    page.goto(gateway.url + "/")
    page.wait_for_selector("#error:not([hidden])")
    assert "unreachable" in page.locator("#error-message").text_content()
    assert page.locator("#retry-button").is_visible()


PHONE_WIDTHS = (360, 390, 430)


def phone_page(browser: Any, width: int, **options: Any) -> tuple[Any, Any]:
    context = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=True, locale="en-US", **options
    )
    return context, context.new_page()


# Every column of the movers table (its heading and each row's cell): where it lies against the table's
# scroll box and the viewport, and whether the scroll cue (hint text, faded edge) is showing.
COLUMNS_JS = """() => {
    const wrap = document.querySelector('#movers .table-wrap');
    const box = wrap.getBoundingClientRect();
    const hint = document.getElementById('movers-scroll-hint');
    const rows = [...document.querySelectorAll('#movers-table tr')];
    const columns = [...rows[0].cells].map((_, i) => rows.map(r => {
        const b = r.cells[i].getBoundingClientRect();
        return {left: b.left, right: b.right};
    }));
    return {
        box: {left: box.left, right: box.right}, viewport: window.innerWidth,
        scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth,
        headings: [...rows[0].cells].map(c => c.textContent),
        hint: !hint.hidden && hint.getBoundingClientRect().height > 0
            && getComputedStyle(hint).visibility === 'visible',
        fade: getComputedStyle(wrap).maskImage || getComputedStyle(wrap).webkitMaskImage || 'none',
        columns,
    };
}"""


def _inside(cell: dict[str, float], box: dict[str, float], viewport: float) -> bool:
    return box["left"] - 0.5 <= cell["left"] and cell["right"] <= min(box["right"], viewport) + 0.5


def visible_or_reachable_columns(page: Any) -> list[str]:
    """The headings of the columns a reader can see, or reach by scrolling the table while a cue shows."""
    seen = page.evaluate(COLUMNS_JS)
    shown = set()
    for heading, cells in zip(seen["headings"], seen["columns"], strict=True):
        if all(_inside(c, seen["box"], seen["viewport"]) for c in cells):
            shown.add(heading)
    if len(shown) < len(seen["headings"]) and seen["hint"] and seen["fade"] != "none":
        # Cue showing: scroll the table to its far edge and look again (what a reader's swipe does).
        page.eval_on_selector("#movers .table-wrap", "w => { w.scrollLeft = w.scrollWidth; }")
        page.wait_for_function(
            "() => !document.querySelector('#movers .table-wrap').classList.contains('more-right')"
        )
        after = page.evaluate(COLUMNS_JS)
        for heading, cells in zip(after["headings"], after["columns"], strict=True):
            if all(_inside(c, after["box"], after["viewport"]) for c in cells):
                shown.add(heading)
        page.eval_on_selector("#movers .table-wrap", "w => { w.scrollLeft = 0; }")
    return [h for h in seen["headings"] if h in shown]


@pytest.mark.parametrize("width", PHONE_WIDTHS)
def test_on_a_phone_every_movers_column_is_visible(browser, api_stack, width):
    # Given a phone of the given width
    context, page = phone_page(browser, width)
    try:
        # When the page loads
        open_page(page, api_stack.base_url)
        seen = page.evaluate(COLUMNS_JS)
        # Then the table fits its card (no sideways scroll needed), every column inside the viewport
        assert seen["scrollWidth"] <= seen["clientWidth"], seen
        assert len(visible_or_reachable_columns(page)) == 4
        assert not seen["hint"]
        # and the abbreviated heading keeps its full name for screen readers
        assert page.get_by_role("columnheader", name="Change").is_visible()
        assert page.locator("#movers-table th[data-key=PercentChange] .label-short").is_visible()
        # and the page itself never scrolls sideways
        assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    finally:
        context.close()


def test_when_the_table_cannot_fit_then_a_visible_cue_leads_to_every_column(browser, api_stack):
    # Given a 390px phone whose reader chose large text (the table can no longer fit its card)
    context, page = phone_page(browser, 390)
    try:
        open_page(page, api_stack.base_url)
        page.evaluate("() => { document.documentElement.style.fontSize = '28px'; }")
        page.wait_for_selector("#movers-scroll-hint:not([hidden])")
        seen = page.evaluate(COLUMNS_JS)
        assert seen["scrollWidth"] > seen["clientWidth"]
        # Then the hint shows, the cut edge fades, the scroll box takes keyboard focus
        assert seen["hint"] and "gradient" in seen["fade"]
        wrap = page.locator("#movers .table-wrap")
        assert wrap.get_attribute("tabindex") == "0" and "more-right" in wrap.get_attribute("class")
        assert "Swipe" in page.locator("#movers-scroll-hint").text_content()
        # and every column is reached by scrolling the table
        assert len(visible_or_reachable_columns(page)) == 4
        # When the text is back to normal, the cue goes away
        page.evaluate("() => { document.documentElement.style.fontSize = ''; }")
        page.wait_for_selector("#movers-scroll-hint", state="hidden")
        assert wrap.get_attribute("tabindex") is None
    finally:
        context.close()


def _clock(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_last_refreshed_shows_the_viewers_own_time_beside_new_yorks(browser, api_stack):
    import datetime as dt
    from zoneinfo import ZoneInfo

    # Given a viewer in Berlin
    context, page = phone_page(browser, 390, timezone_id="Europe/Berlin")
    try:
        # When the page loads
        open_page(page, api_stack.base_url)
        ny, local = page.locator("#refreshed-ny"), page.locator("#refreshed-local")
        when = dt.datetime.fromisoformat(ny.get_attribute("datetime"))
        # Then New York's time and the viewer's own are both shown, each with its zone
        berlin = when.astimezone(ZoneInfo("Europe/Berlin"))
        new_york = when.astimezone(ZoneInfo("America/New_York"))
        assert _clock(local.text_content()).startswith(berlin.strftime("%-I:%M:%S %p"))
        assert _clock(ny.text_content()).startswith(new_york.strftime("%-I:%M:%S %p"))
        assert new_york.strftime("%Z") in ny.text_content()
        refreshed = page.locator("#last-refreshed").text_content()
        assert "New York" in refreshed and "your time (Berlin)" in refreshed
        assert "PST" not in refreshed and "PDT" not in refreshed
        assert local.is_visible() and ny.is_visible()
    finally:
        context.close()


def test_a_viewer_in_new_york_sees_the_time_once(browser, api_stack):
    context, page = phone_page(browser, 390, timezone_id="America/New_York")
    try:
        open_page(page, api_stack.base_url)
        assert page.locator("#last-refreshed time").count() == 1
        assert page.locator("#refreshed-local").count() == 0
        refreshed = page.locator("#last-refreshed").text_content()
        assert "New York, your time" in refreshed and ("EST" in refreshed or "EDT" in refreshed)
    finally:
        context.close()


def test_the_legend_names_the_stored_trading_days_shown(page, api_stack):
    # Given the API's default answer: the 7 most recent stored sessions
    open_page(page, api_stack.base_url)
    assert page.locator("#movers-heading").text_content() == "Latest 7 stored trading days"
    legend = page.locator("#movers .legend").text_content()
    assert "biggest move of these 7 trading days" in legend and "week" not in legend


def test_given_fewer_stored_days_the_legend_counts_them(page, api_stack):
    # Given only three stored sessions (the API answers fewer than the limit)
    three = json.dumps(
        [
            {k: float(v) if not isinstance(v, str) else v for k, v in w.items() if k not in ("pk", "sk")}
            for w in winners(api_stack, 3)
        ]
    )
    page.route(
        "**/v1/movers?*", lambda route: route.fulfill(status=200, content_type="application/json", body=three)
    )
    open_page(page, api_stack.base_url)
    assert page.locator("#movers-table tbody tr").count() == 3
    assert page.locator("#movers-heading").text_content() == "Latest 3 stored trading days"
    assert "biggest move of these 3 trading days" in page.locator("#biggest-key").text_content()


def test_on_a_phone_the_table_fits_without_page_scroll(browser, api_stack):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, locale="en-US")
    try:
        page = context.new_page()
        open_page(page, api_stack.base_url)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0
        assert page.locator("meta[name=viewport]").count() == 1
    finally:
        context.close()


def _analysis_summary() -> dict[str, Any]:
    """A summary in the daily-analysis machine's exact shape, built by its own domain code (as JSON)."""
    import datetime as dt
    from decimal import Decimal

    from stock_movers.domain.analytics import analyse_ticker, summarise
    from stock_movers.domain.calendar import last_n_sessions

    day = dt.date(2026, 11, 20)
    sessions = last_n_sessions(day, 90)
    moves = {"AAPL": ["0.5", "-1", "1.5"] * 7, "TSLA": ["2", "-2", "1"] * 7, "MSFT": ["1"]}
    moves["TSLA"][-1] = "9.5"  # far outside TSLA's own range: unusual
    analyses = [
        analyse_ticker(t, day, list(zip(sessions[-len(v) :], map(Decimal, v), strict=True)))
        for t, v in moves.items()
    ]
    winners = {d: "AAPL" for d in sessions}
    winners[day] = "TSLA"
    summary = summarise(day, analyses, winners, Decimal("9.5"))
    return json.loads(json.dumps(summary, default=float))


def test_the_analysis_panel_flags_unusual_moves_and_shows_dispersion_and_wins(page, api_stack):
    # Given the API's latest analysis (the machine's summary shape), served at the network layer
    summary = _analysis_summary()
    page.route(
        "**/v1/analysis/latest",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(summary)),
    )
    # When the page loads
    open_page(page, api_stack.base_url)
    page.wait_for_selector("#analysis:not([hidden]) #analysis-table tbody tr")
    # Then one row per ticker, the unusual move flagged, dispersion and wins shown, partial reasons listed
    rows = page.locator("#analysis-table tbody tr")
    assert rows.count() == 3
    flagged = page.eval_on_selector_all(
        "#analysis-table tbody tr.unusual", "rows => rows.map(r => r.dataset.ticker)"
    )
    assert flagged == summary["Unusual"] == ["TSLA"]
    assert "unusual" in page.locator("#analysis-table tr[data-ticker=TSLA] .badge").text_content()
    text = page.locator("#analysis-summary").text_content()
    assert f"range {summary['Dispersion']['Range']:.2f} pts" in text and "Unusual (|z| > 2): TSLA" in text
    tsla = next(r for r in summary["Tickers"] if r["Ticker"] == "TSLA")
    cells = page.locator("#analysis-table tr[data-ticker=TSLA] td").all_text_contents()
    assert cells[4] == f"{tsla['Wins7']} / {tsla['Wins30']} / {tsla['Wins90']}" and cells[5] == "1"
    msft = page.locator("#analysis-table tr[data-ticker=MSFT] td").all_text_contents()
    assert msft[2] == "—" and msft[3] == "—"  # one stored session: no z-score, no volatility
    assert page.locator("#analysis-partial").is_visible()
    assert page.locator("#analysis-reasons li").count() == len(summary["Reasons"])


def test_without_an_analysis_the_panel_stays_hidden(page, api_stack):
    page.route(
        "**/v1/analysis/latest",
        lambda route: route.fulfill(
            status=404, content_type="application/json", body='{"error":"NotFound","message":"no analysis"}'
        ),
    )
    open_page(page, api_stack.base_url)
    assert page.locator("#analysis").is_hidden()
    assert page.locator("#movers-table tbody tr").count() == 7


# ---- the day's gainers and losers beside the winner --------------------------------------------------


def board(api_stack: Any, day: str) -> dict[str, Any]:
    return next(i for i in api_stack.items if (i["pk"], i["sk"]) == (leaders_key(day)["pk"]["S"], day))


def shown_board(page: Any) -> dict[str, list[tuple[str, str]]]:
    page.wait_for_selector("#leaders-lists:not([hidden]) #leaders-gainers li")
    return {
        side: page.eval_on_selector_all(
            f"#leaders-{side} li[data-ticker]",
            "items => items.map(i => [i.dataset.ticker, i.querySelector('.change').textContent])",
        )
        for side in ("gainers", "losers")
    }


def expected_board(item: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {
        side: [[e["Ticker"], f"{float(e['PercentChange']):+.2f}%"] for e in item[side.title()]]
        for side in ("gainers", "losers")
    }


def test_the_newest_days_gainers_and_losers_are_shown_beside_the_winner(page, api_stack):
    # Given stored days with their boards, When the page loads
    open_page(page, api_stack.base_url)
    newest = winners(api_stack, 1)[0]
    # Then the newest day's board is shown, as stored (gainers descending, losers ascending)
    assert shown_board(page) == expected_board(board(api_stack, newest["Date"]))
    assert newest["Date"] in page.locator("#leaders-heading").get_attribute("title")
    # And the day's winner is marked on its list
    marked = page.eval_on_selector_all("#leaders li.winner", "items => items.map(i => i.dataset.ticker)")
    assert marked == [newest["Ticker"]]
    # And the card sits beside the movers table on a wide screen (same row, to its right)
    movers, leaders = (page.locator(f"#{s}").bounding_box() for s in ("movers", "leaders"))
    assert abs(movers["y"] - leaders["y"]) < 1 and leaders["x"] > movers["x"] + movers["width"] - 1


def test_choosing_another_day_shows_that_days_board(page, api_stack):
    open_page(page, api_stack.base_url)
    shown_board(page)
    other = winners(api_stack, 7)[3]["Date"]
    # When the reader picks another shown day
    page.select_option("#leaders-day", other)
    page.wait_for_function(
        f"() => document.getElementById('leaders-heading').title === '{other}'"
        " && document.getElementById('leaders-status').textContent === ''"
    )
    # Then that day's stored board is shown
    assert shown_board(page) == expected_board(board(api_stack, other))


def test_a_day_without_a_board_says_so_and_the_movers_stay(page, api_stack):
    # Given the API has no board for the days (stored before boards existed)
    page.route(
        "**/v1/movers/*/leaders?*",
        lambda route: route.fulfill(
            status=404, content_type="application/json", body='{"error":"NotFound","message":"no leaders"}'
        ),
    )
    open_page(page, api_stack.base_url)
    page.wait_for_function("() => /No gainers and losers stored/.test("
                           "document.getElementById('leaders-status').textContent)")  # fmt: skip
    # Then the card says so, shows no list, and the movers table is untouched
    assert page.locator("#leaders-lists").is_hidden()
    assert page.locator("#movers-table tbody tr").count() == 7 and page.locator("#error").is_hidden()


LEADERS_FIT_JS = """() => {
    const card = document.getElementById('leaders').getBoundingClientRect();
    const items = [...document.querySelectorAll('#leaders li[data-ticker]')];
    const out = items.filter(li => {
        const list = li.closest('ol').getBoundingClientRect();
        return [...li.children].some(c => {
            const b = c.getBoundingClientRect();
            return b.left < list.left - 0.5 || b.right > list.right + 0.5
                || c.scrollWidth > c.clientWidth + 1;
        });
    }).map(li => li.dataset.ticker);
    return {card: {left: card.left, right: card.right}, viewport: window.innerWidth, out,
            items: items.length,
            pageOverflow: document.documentElement.scrollWidth - window.innerWidth};
}"""


@pytest.mark.parametrize("width", (320, *PHONE_WIDTHS))
def test_on_a_phone_the_gainers_and_losers_fit(browser, api_stack, width):
    # Given a phone of the given width
    context, page = phone_page(browser, width)
    try:
        # When the page loads
        open_page(page, api_stack.base_url)
        shown = shown_board(page)
        seen = page.evaluate(LEADERS_FIT_JS)
        # Then both lists are drawn whole inside the card, the card inside the viewport, no sideways scroll
        assert seen["items"] == len(shown["gainers"]) + len(shown["losers"]) > 0
        assert seen["out"] == [], seen
        assert seen["card"]["left"] >= 0 and seen["card"]["right"] <= seen["viewport"] + 0.5, seen
        assert seen["pageOverflow"] <= 0, seen
        assert page.locator("#leaders-gainers li").first.is_visible()
        assert page.locator("#leaders-losers li").first.is_visible()
    finally:
        context.close()


def test_a_page_on_a_real_provider_shows_that_providers_licence_note(page, api_stack):
    # Given the page served with the footer note Terraform writes into config.js for a real provider
    # (infrastructure/frontend.tf provider_licence_notes; the local SYNTHETIC server passes its own instead)
    import re
    from pathlib import Path

    terraform = (Path(__file__).parents[2] / "infrastructure" / "frontend.tf").read_text()
    note = re.search(r'\n\s*massive\s*=\s*"([^"]+)"', terraform)
    assert note is not None
    gateway = api_stack.gateway(data_note=note[1])
    # When it loads, Then its footer says display only, no redistribution, and not SYNTHETIC
    open_page(page, gateway.url)
    footer = page.locator("#data-note").text_content()
    assert footer == note[1] and "display only" in footer and "redistribution" in footer
    assert "SYNTHETIC" not in footer


# ---- the whole market's board (scope=market) beside the watchlist's ------------------------------------


def market_days(api_stack: Any) -> list[str]:
    """The days the stack stored a whole-market board for, newest first."""
    keys = ((i["pk"], i["sk"]) for i in api_stack.items)
    return sorted((sk for pk, sk in keys if leaders_key(sk, "market")["pk"]["S"] == pk), reverse=True)


def market_board(api_stack: Any, day: str) -> dict[str, Any]:
    key = leaders_key(day, "market")
    return next(i for i in api_stack.items if (i["pk"], i["sk"]) == (key["pk"]["S"], key["sk"]["S"]))


def wait_for_board(page: Any, scope: str, day: str) -> None:
    """Until the card has drawn `scope`'s board of `day` (heading names both, no status left)."""
    page.wait_for_function(
        """([scope, day]) => {
            const heading = document.getElementById('leaders-heading');
            return heading.title === day && heading.textContent.includes(' · ' + scope + ' · ')
                && document.getElementById('leaders-status').textContent === ''
                && !document.getElementById('leaders-lists').hidden;
        }""",
        arg=[scope, day],
    )


def pressed(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#leaders-scope button[aria-pressed=true]", "buttons => buttons.map(b => b.textContent)"
    )


def test_switching_to_the_whole_market_shows_its_board_and_back_restores_the_watchlists(page, api_stack):
    # Given stored days whose newest has a whole-market board beside the watchlist's
    newest = winners(api_stack, 1)[0]
    assert market_days(api_stack)[0] == newest["Date"]
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/leaders" in r.url else None)
    open_page(page, api_stack.base_url)
    wait_for_board(page, "watchlist", newest["Date"])
    assert pressed(page) == ["Watchlist"]
    watchlist = expected_board(board(api_stack, newest["Date"]))
    assert shown_board(page) == watchlist
    # When the reader presses "Whole market"
    page.get_by_role("button", name="Whole market").click()
    wait_for_board(page, "whole market", newest["Date"])
    # Then the market board stored for the day is shown (scope=market asked for), no watchlist winner marked
    market = expected_board(market_board(api_stack, newest["Date"]))
    assert market != watchlist
    assert shown_board(page) == market
    assert pressed(page) == ["Whole market"]
    assert requests[-1].endswith(f"/v1/movers/{newest['Date']}/leaders?n=10&scope=market")
    assert page.locator("#leaders li.winner").count() == 0
    # When the reader presses "Watchlist" again, Then the watchlist's board and its winner mark are back
    page.get_by_role("button", name="Watchlist").click()
    wait_for_board(page, "watchlist", newest["Date"])
    assert shown_board(page) == watchlist and pressed(page) == ["Watchlist"]
    marked = page.eval_on_selector_all("#leaders li.winner", "items => items.map(i => i.dataset.ticker)")
    assert marked == [newest["Ticker"]]
    assert "scope" not in requests[-1]


def test_a_day_without_a_market_board_says_how_to_store_one_and_the_switch_stays(page, api_stack):
    # Given the whole market chosen, and a shown day no market run stored
    stored = set(market_days(api_stack))
    bare = next(w["Date"] for w in winners(api_stack, 7) if w["Date"] not in stored)
    open_page(page, api_stack.base_url)
    shown_board(page)
    page.get_by_role("button", name="Whole market").click()
    wait_for_board(page, "whole market", winners(api_stack, 1)[0]["Date"])
    # When the reader picks that day
    page.select_option("#leaders-day", bare)
    page.wait_for_function(
        "() => /No whole-market day stored/.test(document.getElementById('leaders-status').textContent)"
    )
    # Then the card says so and names the command, the lists are hidden, the page is not in error
    status = page.locator("#leaders-status").text_content()
    assert f"movers run --scope market --date {bare}" in status
    assert page.locator("#leaders-status code").text_content() == f"movers run --scope market --date {bare}"
    assert "whole market" in page.locator("#leaders-heading").text_content()
    assert page.locator("#leaders-lists").is_hidden() and page.locator("#error").is_hidden()
    assert page.locator("#movers-table tbody tr").count() == 7
    # And the scope stays chosen across the day change, the switch usable: back to the watchlist's board
    assert pressed(page) == ["Whole market"]
    page.get_by_role("button", name="Watchlist").click()
    wait_for_board(page, "watchlist", bare)
    assert shown_board(page) == expected_board(board(api_stack, bare))
    # And a day that has one shows the market board again when the market is chosen
    newest_market = sorted(stored)[-1]
    page.get_by_role("button", name="Whole market").click()
    page.select_option("#leaders-day", newest_market)
    wait_for_board(page, "whole market", newest_market)
    assert shown_board(page) == expected_board(market_board(api_stack, newest_market))


def test_a_late_market_answer_does_not_replace_the_board_chosen_after_it(page, api_stack):
    # Given the market board's answer held back at the network layer
    held: list[Any] = []
    page.route("**/leaders?*scope=market*", lambda route: held.append(route))
    open_page(page, api_stack.base_url)
    newest = winners(api_stack, 1)[0]["Date"]
    wait_for_board(page, "watchlist", newest)
    page.get_by_role("button", name="Whole market").click()
    page.wait_for_function("() => /whole market/.test(document.getElementById('leaders-status').textContent)")
    # When the reader goes back to the watchlist before it arrives, then it arrives
    page.get_by_role("button", name="Watchlist").click()
    wait_for_board(page, "watchlist", newest)
    assert len(held) == 1
    with page.expect_response("**/leaders?*scope=market*"):
        held[0].continue_()
    # Then the watchlist's board stays
    page.evaluate("() => new Promise(r => setTimeout(r, 50))")
    wait_for_board(page, "watchlist", newest)
    assert shown_board(page) == expected_board(board(api_stack, newest)) and pressed(page) == ["Watchlist"]
