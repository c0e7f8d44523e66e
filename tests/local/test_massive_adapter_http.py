"""The real Massive adapter (stock_movers.providers.massive) against the local market server over real
HTTP: bars match the dataset exactly, pagination is followed, and 401, 403, 404, 429, 5xx, slow, malformed,
missing-ticker and wrong-date answers map to the documented provider errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest

from movers.market.dataset import Bar, Dataset, bundled
from movers.market.server import MarketServer
from stock_movers.providers import (
    MalformedResponse,
    NoData,
    PlanLimitError,
    ProviderAuthError,
    ProviderUnavailable,
    RateLimited,
    make_provider,
)
from stock_movers.providers.base import FetchResult, Provider

KEY = "adapter-key-0001"
WATCHLIST = ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA")
DAY = dt.date(2025, 6, 2)


@pytest.fixture(scope="module")
def data() -> Dataset:
    return bundled()


@pytest.fixture(scope="module")
def server() -> Iterator[MarketServer]:
    with MarketServer(api_key=KEY, rate_limit=None, max_limit=100) as srv:
        yield srv


@pytest.fixture
def srv(server: MarketServer) -> MarketServer:
    server.set_faults(None)
    server.set_now(None)
    server.reset()
    return server


def provider(srv: MarketServer, *, key: str = KEY, timeout: float = 10.0) -> Provider:
    return make_provider("massive", api_key=key, base_url=srv.url, timeout=timeout)


def as_tuple(bar: Bar) -> tuple[str, dt.date, Decimal, Decimal, Decimal, Decimal, Decimal]:
    return (bar.ticker, bar.day, bar.open, bar.high, bar.low, bar.close, Decimal(bar.volume))


def fetched(result: FetchResult) -> list[tuple[str, dt.date, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    return [(b.ticker, b.date, b.open, b.high, b.low, b.close, b.volume) for b in result.bars]


def test_daily_bar_for_each_watchlist_ticker_matches_the_dataset(srv: MarketServer, data: Dataset) -> None:
    p = provider(srv)
    for ticker in WATCHLIST:
        result = p.daily_bar(ticker, DAY)
        bar = data.bar(ticker, DAY)
        assert bar is not None
        assert fetched(result) == [as_tuple(bar)]
        assert result.provider == "massive" and result.calls == 1 and len(result.raw_pages) == 1
        assert b'"status":"OK"' in result.raw_pages[0] and KEY.encode() not in result.raw_pages[0]
    assert srv.stats()["by_endpoint"] == {"range": len(WATCHLIST)}


def test_session_bars_is_one_grouped_call(srv: MarketServer, data: Dataset) -> None:
    result = provider(srv).session_bars(DAY, list(WATCHLIST))
    assert fetched(result) == [as_tuple(b) for b in data.bars_on(DAY) if b.ticker in WATCHLIST]
    assert result.calls == 1 and srv.stats()["by_endpoint"] == {"grouped": 1}


def test_five_year_range_follows_next_url_pages(srv: MarketServer, data: Dataset) -> None:
    start, end = dt.date(2021, 1, 1), dt.date(2025, 12, 31)
    result = provider(srv).range_bars("NVDA", start, end)
    expected = data.bars_between("NVDA", start, end)
    assert fetched(result) == [as_tuple(b) for b in expected]
    assert result.calls == len(result.raw_pages) == -(-len(expected) // 100)
    assert srv.stats()["total"] == result.calls


def test_non_session_day_is_no_data_and_empty_range(srv: MarketServer) -> None:
    p = provider(srv)
    with pytest.raises(NoData):
        p.daily_bar("AAPL", dt.date(2025, 7, 4))  # Independence Day
    assert provider(srv).range_bars("AAPL", dt.date(2025, 7, 5), dt.date(2025, 7, 6)).bars == ()
    assert provider(srv).session_bars(dt.date(2025, 7, 4), list(WATCHLIST)).bars == ()


def test_wrong_key_is_auth_error_without_the_key_in_the_message(srv: MarketServer) -> None:
    secret = "definitely-wrong-key-42"
    with pytest.raises(ProviderAuthError, match="Unknown API Key") as info:
        provider(srv, key=secret).daily_bar("AAPL", DAY)
    assert secret not in str(info.value)


def test_rate_limit_429_is_rate_limited() -> None:
    with MarketServer(api_key=KEY, rate_limit=(2, 60.0)) as limited:
        p = provider(limited)
        p.daily_bar("AAPL", DAY)
        p.daily_bar("MSFT", DAY)
        with pytest.raises(RateLimited, match="exceeded the maximum requests per minute"):
            p.daily_bar("TSLA", DAY)
        assert limited.stats()["rate_limited"] == 1


def test_plan_depth_403_is_plan_limit_error() -> None:
    with (
        MarketServer(api_key=KEY, rate_limit=None, history_days=730) as shallow,
        pytest.raises(PlanLimitError, match="doesn't include this data timeframe"),
    ):
        provider(shallow).range_bars("AAPL", dt.date(2020, 1, 1), dt.date(2025, 1, 1))


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("429", RateLimited),
        ("500", ProviderUnavailable),
        ("502", ProviderUnavailable),
        ("503", ProviderUnavailable),
        ("malformed", MalformedResponse),
        ("wrong_date", MalformedResponse),
    ],
)
def test_injected_fault_maps_to_provider_error(srv: MarketServer, kind: str, error: type[Exception]) -> None:
    srv.set_faults([kind])
    p = provider(srv)
    with pytest.raises(error):
        p.daily_bar("TSLA", DAY)
    assert fetched(p.daily_bar("TSLA", DAY))[0][1] == DAY  # the next call is healthy again


def test_wrong_date_in_grouped_is_malformed(srv: MarketServer) -> None:
    srv.set_faults({"script": ["wrong_date"], "endpoints": ["grouped"]})
    with pytest.raises(MalformedResponse):
        provider(srv).session_bars(DAY, list(WATCHLIST))


def test_missing_ticker_in_grouped_is_absent_from_the_result(srv: MarketServer) -> None:
    srv.set_faults({"script": ["missing"], "drop_tickers": ["TSLA"]})
    result = provider(srv).session_bars(DAY, list(WATCHLIST))
    assert [b.ticker for b in result.bars] == sorted(set(WATCHLIST) - {"TSLA"})


def test_slow_answer_beyond_the_timeout_is_provider_unavailable(srv: MarketServer) -> None:
    srv.set_faults({"script": ["slow"], "slow_ms": 2000})
    with pytest.raises(ProviderUnavailable, match="timed out"):
        provider(srv, timeout=0.3).daily_bar("AAPL", DAY)


def test_fault_on_a_later_page_fails_the_whole_range(srv: MarketServer) -> None:
    srv.set_faults(["ok", "503"])
    with pytest.raises(ProviderUnavailable):
        provider(srv).range_bars("AAPL", dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert srv.stats()["by_status"] == {"200": 1, "503": 1}
