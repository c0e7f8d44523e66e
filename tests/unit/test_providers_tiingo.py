"""Tiingo adapter contract tests: raw (not adjusted) prices, `date` read as the session date."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from responses import matchers

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import UnsupportedStrategy
from stock_movers.providers import (
    MalformedResponse,
    NoData,
    ProviderAuthError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    TiingoProvider,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
KEY = "tiingo0test0key0abcdef0123456789"
BASE = "https://api.tiingo.com/tiingo/daily"


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def api():
    with responses.RequestsMock() as rsps:
        yield rsps


@pytest.fixture
def tiingo():
    return TiingoProvider(api_key=KEY)


def serve(api, ticker, start, end, raw, status=200):
    api.add(
        responses.GET,
        f"{BASE}/{ticker}/prices",
        body=raw,
        status=status,
        match=[
            matchers.query_param_matcher({"startDate": start, "endDate": end}),
            matchers.header_matcher({"Authorization": f"Token {KEY}"}),
        ],
    )


def test_given_a_price_row_when_daily_bar_then_raw_prices_not_adjusted(api, tiingo):
    serve(api, "AAPL", "2019-01-02", "2019-01-02", body("tiingo_200_aapl.json"))
    result = tiingo.daily_bar("AAPL", dt.date(2019, 1, 2))
    assert result.bars == (
        DailyBar(
            "AAPL",
            dt.date(2019, 1, 2),
            Decimal("154.89"),
            Decimal("158.85"),
            Decimal("154.23"),
            Decimal("157.92"),
            Decimal(37039737),
        ),
    )
    assert (result.provider, result.calls, result.raw_pages) == ("tiingo", 1, (body("tiingo_200_aapl.json"),))
    assert KEY not in api.calls[0].request.url
    assert api.calls[0].request.req_kwargs["timeout"] == (10.0, 10.0)


def test_given_adjusted_values_differ_then_raw_ones_are_used(api, tiingo):
    raw = (
        b'[{"date":"2020-08-31T00:00:00.000Z","open":127.58,"high":131.0,"low":126.0,"close":129.04,'
        b'"volume":225702700,"adjOpen":1.0,"adjHigh":1.0,"adjLow":1.0,"adjClose":1.0,"adjVolume":1}]'
    )
    serve(api, "AAPL", "2020-08-31", "2020-08-31", raw)
    (bar,) = tiingo.daily_bar("AAPL", dt.date(2020, 8, 31)).bars
    assert (bar.open, bar.close) == (Decimal("127.58"), Decimal("129.04"))


def test_given_a_span_when_range_bars_then_sorted_and_empty_is_fine(api, tiingo):
    raw = (
        b'[{"date":"2019-01-03T00:00:00.000Z","open":143.98,"high":145.72,"low":142.0,"close":142.19,'
        b'"volume":91312195},'
        b'{"date":"2019-01-02T00:00:00.000Z","open":154.89,"high":158.85,"low":154.23,"close":157.92,'
        b'"volume":37039737}]'
    )
    serve(api, "AAPL", "2019-01-01", "2019-01-04", raw)
    serve(api, "AAPL", "2019-01-05", "2019-01-06", b"[]")
    assert [b.date.day for b in tiingo.range_bars("AAPL", dt.date(2019, 1, 1), dt.date(2019, 1, 4)).bars] == [
        2,
        3,
    ]
    assert tiingo.range_bars("AAPL", dt.date(2019, 1, 5), dt.date(2019, 1, 6)).bars == ()


def test_given_no_rows_when_daily_bar_then_no_data(api, tiingo):
    serve(api, "AAPL", "2019-01-05", "2019-01-05", b"[]")
    with pytest.raises(NoData):
        tiingo.daily_bar("AAPL", dt.date(2019, 1, 5))


def test_given_a_share_class_then_tiingo_spelling_in_the_url_and_ours_in_the_bar(api, tiingo):
    raw = (
        b'[{"date":"2024-01-02T00:00:00.000Z","open":360.0,"high":363.0,"low":359.0,'
        b'"close":362.0,"volume":1}]'
    )
    serve(api, "BRK-B", "2024-01-02", "2024-01-02", raw)
    assert tiingo.daily_bar("BRK.B", dt.date(2024, 1, 2)).bars[0].ticker == "BRK.B"


@pytest.mark.parametrize(
    ("status", "name", "error", "text"),
    [
        (404, "tiingo_404_not_found.json", NoData, "Ticker 'ZZZZ' not found"),
        (429, "tiingo_429_hourly.json", RateLimited, "hourly request allocation"),
        (429, "tiingo_429_daily.json", QuotaExhausted, "daily request allocation"),
    ],
)
def test_given_a_vendor_error_body_then_the_named_error(api, tiingo, status, name, error, text):
    serve(api, "ZZZZ", "2019-01-02", "2019-01-02", body(name), status=status)
    with pytest.raises(error, match=text) as info:
        tiingo.daily_bar("ZZZZ", dt.date(2019, 1, 2))
    assert type(info.value) is error


@pytest.mark.parametrize(
    ("status", "raw", "error"),
    [
        (401, b'{"detail":"Invalid token."}', ProviderAuthError),
        (403, b"", ProviderAuthError),
        (500, b"oops", ProviderUnavailable),
        (200, b"Error: You have run over your hourly request allocation.", MalformedResponse),
        (200, b'{"detail":"Error: You have run over your hourly request allocation."}', RateLimited),
        (200, b'{"rows": []}', MalformedResponse),
        (200, b'[{"date":"2019/01/02","open":1,"high":1,"low":1,"close":1,"volume":1}]', MalformedResponse),
        (
            200,
            b'[{"date":"2019-01-03T00:00:00.000Z","open":1,"high":1,"low":1,"close":1,"volume":1}]',
            MalformedResponse,
        ),
        (
            200,
            b'[{"date":"2019-01-02T00:00:00.000Z","open":"1","high":1,"low":1,"close":1,"volume":1}]',
            MalformedResponse,
        ),
        (
            200,
            b'[{"date":"2019-01-02T00:00:00.000Z","high":1,"low":1,"close":1,"volume":1}]',
            MalformedResponse,
        ),
        (200, b"[1]", MalformedResponse),
    ],
)
def test_given_a_broken_reply_then_a_named_error(api, tiingo, status, raw, error):
    serve(api, "AAPL", "2019-01-02", "2019-01-02", raw, status=status)
    with pytest.raises(error) as info:
        tiingo.daily_bar("AAPL", dt.date(2019, 1, 2))
    assert type(info.value) is error


def test_session_bars_is_refused_by_name_before_any_call(api, tiingo):
    # Given a provider without a whole-market daily endpoint
    assert tiingo.capabilities.strategies == frozenset({"per_ticker", "push"})
    # When asked for a session snapshot, Then it is refused as UnsupportedStrategy
    with pytest.raises(UnsupportedStrategy, match=r"'snapshot' is not served by provider 'tiingo'"):
        tiingo.session_bars(dt.date(2019, 1, 2), ["AAPL"])
    # And no HTTP call was made
    assert len(api.calls) == 0
