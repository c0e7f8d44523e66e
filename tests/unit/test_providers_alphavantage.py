"""Alpha Vantage adapter contract tests: HTTP-200 notices classified, compact window enforced."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from responses import matchers

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import UnsupportedStrategy
from stock_movers.providers import (
    AlphaVantageProvider,
    MalformedResponse,
    NoData,
    PlanLimitError,
    ProviderAuthError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RequestRejected,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
KEY = "AVTESTKEY1234567"
URL = "https://www.alphavantage.co/query"


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def params(symbol: str) -> dict[str, str]:
    return {"function": "TIME_SERIES_DAILY", "symbol": symbol, "outputsize": "compact", "apikey": KEY}


@pytest.fixture
def api():
    with responses.RequestsMock() as rsps:
        yield rsps


@pytest.fixture
def av():
    return AlphaVantageProvider(api_key=KEY)


def serve(api, raw: bytes, symbol: str = "IBM", status: int = 200):
    api.add(responses.GET, URL, body=raw, status=status, match=[matchers.query_param_matcher(params(symbol))])


def compact_series(symbol: str, sessions: int) -> bytes:
    """A compact-shaped body with `sessions` weekday bars ending 2024-05-06, newest first."""
    rows, day = {}, dt.date(2024, 5, 6)
    while len(rows) < sessions:
        if day.weekday() < 5:
            rows[day.isoformat()] = {
                "1. open": "10.0000",
                "2. high": "11.0000",
                "3. low": "9.5000",
                "4. close": "10.5000",
                "5. volume": "1000",
            }
        day -= dt.timedelta(days=1)
    meta = {"2. Symbol": symbol, "4. Output Size": "Compact"}
    return json.dumps({"Meta Data": meta, "Time Series (Daily)": rows}).encode()


def test_given_the_daily_series_when_daily_bar_then_exact_string_values_become_decimals(api, av):
    serve(api, body("av_200_daily_ibm.json"))
    result = av.daily_bar("IBM", dt.date(2024, 5, 6))
    assert result.bars == (
        DailyBar(
            "IBM",
            dt.date(2024, 5, 6),
            Decimal("166.5000"),
            Decimal("168.6700"),
            Decimal("166.3800"),
            Decimal("168.6100"),
            Decimal(4222266),
        ),
    )
    assert (result.provider, result.calls, result.raw_pages) == (
        "alphavantage",
        1,
        (body("av_200_daily_ibm.json"),),
    )
    assert api.calls[0].request.req_kwargs["timeout"] == (10.0, 10.0)


def test_given_the_daily_series_when_range_bars_then_sorted_ascending_within_the_span(api, av):
    serve(api, body("av_200_daily_ibm.json"))
    result = av.range_bars("IBM", dt.date(2024, 5, 1), dt.date(2024, 5, 6))
    assert [b.date for b in result.bars] == [dt.date(2024, 5, 3), dt.date(2024, 5, 6)]
    assert result.bars[0].close == Decimal("165.7100")


def test_given_a_day_without_a_bar_inside_the_window_then_no_data(api, av):
    serve(api, body("av_200_daily_ibm.json"))
    with pytest.raises(NoData, match="2024-05-04"):
        av.daily_bar("IBM", dt.date(2024, 5, 4))


def test_given_a_full_compact_window_when_asking_older_than_it_then_plan_limit(api, av):
    serve(api, compact_series("IBM", 100))
    serve(api, compact_series("IBM", 100))
    with pytest.raises(PlanLimitError, match="compact"):
        av.range_bars("IBM", dt.date(2023, 1, 1), dt.date(2024, 5, 6))
    with pytest.raises(PlanLimitError, match="~100 sessions"):
        av.daily_bar("IBM", dt.date(2023, 1, 3))


def test_given_a_short_history_then_an_older_start_is_not_a_plan_limit(api, av):
    # Fewer than 100 bars means the symbol's whole history came back, not a cut-off.
    serve(api, compact_series("IBM", 40))
    assert len(av.range_bars("IBM", dt.date(2023, 1, 1), dt.date(2024, 5, 6)).bars) == 40


@pytest.mark.parametrize(
    ("name", "error", "retry_after"),
    [
        ("av_200_per_second.json", RateLimited, 1.0),
        ("av_200_per_day.json", QuotaExhausted, None),
        ("av_200_premium.json", PlanLimitError, None),
        ("av_200_bad_symbol.json", NoData, None),
        ("av_200_bad_key_error_message.json", ProviderAuthError, None),
        ("av_200_bad_key_information.json", ProviderAuthError, None),
        ("av_200_legacy_note.json", RateLimited, 60.0),
    ],
)
def test_given_an_http_200_notice_then_it_is_classified(api, av, name, error, retry_after):
    serve(api, body(name))
    with pytest.raises(error) as info:
        av.daily_bar("IBM", dt.date(2024, 5, 6))
    assert type(info.value) is error  # e.g. the per-second notice must not become QuotaExhausted
    assert getattr(info.value, "retry_after", None) == retry_after


@pytest.mark.parametrize(
    ("status", "raw", "error"),
    [
        (200, b'{"Information": "Something new from the vendor"}', RequestRejected),
        (200, b"{}", MalformedResponse),
        (200, b"<html>", MalformedResponse),
        (200, b'{"Meta Data": {"2. Symbol": "MSFT"}, "Time Series (Daily)": {}}', MalformedResponse),
        (200, b'{"Time Series (Daily)": []}', MalformedResponse),
        (200, b'{"Time Series (Daily)": {"2024/05/06": {}}}', MalformedResponse),
        (
            200,
            b'{"Time Series (Daily)": {"2024-05-06": {"1. open": "abc", "2. high": "1", "3. low": "1",'
            b' "4. close": "1", "5. volume": "1"}}}',
            MalformedResponse,
        ),
        (200, b'{"Time Series (Daily)": {"2024-05-06": {"1. open": "1"}}}', MalformedResponse),
        (503, b"", ProviderUnavailable),
        (429, b"", RateLimited),
        (404, b"", RequestRejected),
    ],
)
def test_given_a_broken_reply_then_a_named_error(api, av, status, raw, error):
    serve(api, raw, status=status)
    with pytest.raises(error) as info:
        av.daily_bar("IBM", dt.date(2024, 5, 6))
    assert type(info.value) is error


def test_session_bars_is_refused_by_name_before_any_call(api, av):
    # Given a provider without a whole-market daily endpoint
    assert av.capabilities.strategies == frozenset({"per_ticker", "push"})
    # When asked for a session snapshot, Then it is refused as UnsupportedStrategy
    with pytest.raises(UnsupportedStrategy, match=r"'snapshot' is not served by provider 'alphavantage'"):
        av.session_bars(dt.date(2024, 5, 6), ["IBM"])
    # And no HTTP call was made
    assert len(api.calls) == 0
