"""The real Alpha Vantage and Tiingo adapters against the local market server's APIs for them, over real
HTTP: bars equal the dataset (and Massive's), each vendor's quota and plan refusals map to the adapters'
named errors, and the server's counts stay within each plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from movers.market.server import MarketServer
from stock_movers.providers import (
    MalformedResponse,
    NoData,
    PlanLimitError,
    ProviderAuthError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    make_provider,
)
from stock_movers.providers.base import FetchResult, Provider

KEY = "vendor-key-0001"
WATCHLIST = ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA")
VENDORS = ("alphavantage", "tiingo")


@pytest.fixture(scope="module")
def server() -> Iterator[MarketServer]:
    with MarketServer(api_key=KEY, rate_limit=None) as srv:
        yield srv


@pytest.fixture
def srv(server: MarketServer) -> MarketServer:
    # every plan off unless a test sets one; the windows emptied
    server.set_plans(alphavantage={}, tiingo={})
    server.set_faults(None)
    server.reset()
    return server


def provider(srv: MarketServer, name: str, *, key: str = KEY) -> Provider:
    return make_provider(name, api_key=key, base_url=srv.url)


def rows(result: FetchResult) -> list[tuple[object, ...]]:
    return [(b.ticker, b.date, b.open, b.high, b.low, b.close, b.volume) for b in result.bars]


def recent(srv: MarketServer, back: int) -> dt.date:
    return srv.dataset.sessions[-back]


@pytest.mark.parametrize("name", VENDORS)
def test_bars_equal_massives_for_the_watchlist_one_call_each(srv: MarketServer, name: str) -> None:
    # Given a recent session and a 3-session span inside Alpha Vantage's compact window
    day, start, end = recent(srv, 5), recent(srv, 12), recent(srv, 10)
    massive, vendor = provider(srv, "massive"), provider(srv, name)
    for ticker in WATCHLIST:
        # When the vendor's adapter fetches the day and the span, Then its bars equal Massive's
        assert rows(vendor.daily_bar(ticker, day)) == rows(massive.daily_bar(ticker, day))
        got = vendor.range_bars(ticker, start, end)
        assert rows(got) == rows(massive.range_bars(ticker, start, end)) and len(got.bars) == 3
        assert got.provider == name and got.calls == 1 and KEY.encode() not in got.raw_pages[0]
    # And the server counted one call per operation on the vendor's endpoint
    endpoint = {"alphavantage": "av_daily", "tiingo": "tiingo_prices"}[name]
    assert srv.stats()["by_endpoint"] == {endpoint: 2 * len(WATCHLIST), "range": 2 * len(WATCHLIST)}


@pytest.mark.parametrize("name", VENDORS)
def test_wrong_key_unknown_symbol_and_holiday(srv: MarketServer, name: str) -> None:
    secret = "definitely-wrong-key-42"
    with pytest.raises(ProviderAuthError) as info:
        provider(srv, name, key=secret).daily_bar("AAPL", recent(srv, 2))
    assert secret not in str(info.value)
    with pytest.raises(NoData):
        provider(srv, name).daily_bar("ZZZZ", recent(srv, 2))
    holiday = next(  # a weekday inside the compact window that is no session
        d
        for d in (recent(srv, 90) + dt.timedelta(days=i) for i in range(120))
        if d.weekday() < 5 and d < srv.dataset.last_session and d not in srv.dataset.sessions
    )
    with pytest.raises(NoData):
        provider(srv, name).daily_bar("AAPL", holiday)


def test_alphavantage_burst_is_rate_limited_and_the_daily_quota_quota_exhausted(srv: MarketServer) -> None:
    # Given Alpha Vantage's plan: 2 calls per (long) burst window, 4 a day
    srv.set_plans(alphavantage={"burst": (2, 3_600.0), "daily": (4, 86_400.0)})
    p = provider(srv, "alphavantage")
    day = recent(srv, 2)
    p.daily_bar("AAPL", day)
    p.daily_bar("MSFT", day)
    # When a third call comes inside the burst window, Then RateLimited (retry after 1 s), not the quota
    with pytest.raises(RateLimited) as burst:
        p.daily_bar("TSLA", day)
    assert type(burst.value) is RateLimited and burst.value.retry_after == 1.0
    # Given the burst window lifted, When the daily quota is spent, Then QuotaExhausted (no retry time)
    srv.set_plans(alphavantage={"daily": (4, 86_400.0)})
    p.daily_bar("TSLA", day)
    p.daily_bar("NVDA", day)
    p.daily_bar("AMZN", day)
    p.daily_bar("GOOGL", day)
    with pytest.raises(QuotaExhausted, match="daily request quota"):
        p.daily_bar("AAPL", day)
    # And the server admitted exactly the plan's calls: 2 + 4 answered, 2 refused
    assert srv.plan_usage("alphavantage", KEY) == {"daily": 4}
    assert srv.stats()["by_endpoint"] == {"av_daily": 8}


def test_alphavantage_beyond_the_compact_window_and_premium_are_plan_limit_errors(srv: MarketServer) -> None:
    p = provider(srv, "alphavantage")
    # When a span starts before the 100 sessions compact output reaches, Then PlanLimitError
    with pytest.raises(PlanLimitError, match="compact"):
        p.range_bars("AAPL", recent(srv, 150), recent(srv, 1))
    # When the server says the key's plan lacks a premium feature, Then PlanLimitError
    srv.set_faults({"script": ["403"], "endpoints": ["av_daily"]})
    with pytest.raises(PlanLimitError, match="premium"):
        p.daily_bar("AAPL", recent(srv, 1))


def test_tiingo_hourly_allocation_is_rate_limited_and_the_daily_one_quota_exhausted(
    srv: MarketServer,
) -> None:
    srv.set_plans(tiingo={"hourly": (2, 3_600.0), "daily": (3, 86_400.0)})
    p = provider(srv, "tiingo")
    day = recent(srv, 2)
    p.daily_bar("AAPL", day)
    p.daily_bar("MSFT", day)
    with pytest.raises(RateLimited, match="hourly request allocation") as hourly:
        p.daily_bar("TSLA", day)
    assert type(hourly.value) is RateLimited
    srv.set_plans(tiingo={"daily": (3, 86_400.0)})
    for ticker in ("TSLA", "NVDA", "AMZN"):
        p.daily_bar(ticker, day)
    with pytest.raises(QuotaExhausted, match="daily request allocation"):
        p.daily_bar("GOOGL", day)
    assert srv.plan_usage("tiingo", KEY) == {"daily": 3} and srv.stats()["by_status"] == {"200": 5, "429": 2}


@pytest.mark.parametrize("name", VENDORS)
@pytest.mark.parametrize(
    ("kind", "error"),
    [("503", ProviderUnavailable), ("malformed", MalformedResponse), ("429", RateLimited)],
)
def test_injected_faults_map_to_named_errors(
    srv: MarketServer, name: str, kind: str, error: type[Exception]
) -> None:
    srv.set_faults([kind])
    p = provider(srv, name)
    with pytest.raises(error):
        p.daily_bar("TSLA", recent(srv, 3))
    assert rows(p.daily_bar("TSLA", recent(srv, 3)))[0][1] == recent(srv, 3)  # healthy again


def test_tiingo_bar_for_another_date_is_malformed(srv: MarketServer) -> None:
    srv.set_faults({"script": ["wrong_date"], "endpoints": ["tiingo_prices"]})
    with pytest.raises(MalformedResponse):
        provider(srv, "tiingo").daily_bar("AAPL", recent(srv, 3))
