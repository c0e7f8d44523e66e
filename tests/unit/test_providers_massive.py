"""Massive adapter contract tests against vendor-shaped bodies served by `responses`."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from stock_movers.domain.bars import DailyBar
from stock_movers.providers import (
    MalformedResponse,
    MassiveProvider,
    NoData,
    PlanLimitError,
    ProviderAuthError,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
KEY = "massive-test-key-0123456789abcdef"
BASE = "https://api.massive.com"
RANGE_PARAMS = {"adjusted": "true", "sort": "asc", "limit": "50000"}


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def massive():
    return MassiveProvider(api_key=KEY)


def range_url(ticker: str, start: str, end: str, base: str = BASE) -> str:
    return f"{base}/v2/aggs/ticker/{ticker}/range/1/day/{start}/{end}"


def serve(api, url, name=None, status=200, params=None, raw=None, headers=None):
    match = [matchers.header_matcher({"Authorization": f"Bearer {KEY}"})]
    if params is not None:
        match.append(matchers.query_param_matcher(params))
    api.add(
        responses.GET,
        url,
        body=raw if raw is not None else body(name),
        status=status,
        match=match,
        headers=headers,
    )


def test_given_a_session_when_daily_bar_then_one_exact_bar_one_call_and_the_body_kept_verbatim(api, massive):
    serve(
        api,
        range_url("AAPL", "2020-01-02", "2020-01-02"),
        "massive_200_range_single.json",
        params=RANGE_PARAMS,
    )
    result = massive.daily_bar("AAPL", dt.date(2020, 1, 2))
    assert result.provider == "massive"
    assert result.calls == 1
    assert result.raw_pages == (body("massive_200_range_single.json"),)
    # t = 1577941200000 is 00:00 ET on 2020-01-02 (range bars stamp the start of the window)
    assert result.bars == (
        DailyBar(
            "AAPL",
            dt.date(2020, 1, 2),
            Decimal("74.06"),
            Decimal("75.15"),
            Decimal("73.7975"),
            Decimal("75.0875"),
            Decimal(135647456),
        ),
    )
    sent = api.calls[0].request
    assert sent.headers["Accept-Encoding"] == "gzip"
    assert KEY not in sent.url and "apikey" not in sent.url.lower()
    assert sent.req_kwargs["timeout"] == (10.0, 10.0)


@pytest.mark.parametrize("name", ["massive_200_results_null.json", "massive_200_results_missing.json"])
def test_given_no_results_when_daily_bar_then_no_data(api, massive, name):
    serve(api, range_url("AAPL", "2020-01-04", "2020-01-04"), name)
    with pytest.raises(NoData, match="no bar"):
        massive.daily_bar("AAPL", dt.date(2020, 1, 4))


def test_given_a_bar_for_another_date_when_daily_bar_then_malformed(api, massive):
    serve(api, range_url("AAPL", "2020-01-03", "2020-01-03"), "massive_200_range_single.json")
    with pytest.raises(MalformedResponse, match="2020-01-02"):
        massive.daily_bar("AAPL", dt.date(2020, 1, 3))


def test_given_next_url_when_range_bars_then_pages_are_followed_with_the_bearer_header(api, massive):
    serve(
        api,
        range_url("AAPL", "2020-01-01", "2020-01-10"),
        "massive_200_range_page1.json",
        params=RANGE_PARAMS,
    )
    serve(
        api,
        f"{BASE}/v2/aggs/ticker/AAPL/range/1/day/1578114000000/2020-01-10",
        "massive_200_range_page2.json",
        params={"cursor": "bGltaXQ9MiZzb3J0PWFzYw"},
    )
    result = massive.range_bars("AAPL", dt.date(2020, 1, 1), dt.date(2020, 1, 10))
    assert result.calls == 2
    assert result.raw_pages == (body("massive_200_range_page1.json"), body("massive_200_range_page2.json"))
    assert [b.date.isoformat() for b in result.bars] == [
        "2020-01-02",
        "2020-01-03",
        "2020-01-06",
        "2020-01-07",
        "2020-01-08",
    ]
    assert result.bars[-1].close == Decimal("75.7975")
    assert all(KEY not in c.request.url for c in api.calls)


def test_given_next_url_on_another_host_then_the_key_only_goes_to_the_configured_base(api):
    # Given a Massive-compatible local server whose pages still point at api.massive.com
    local = "http://127.0.0.1:8765"
    provider = MassiveProvider(api_key=KEY, base_url=local + "/")
    serve(api, range_url("AAPL", "2020-01-01", "2020-01-10", local), "massive_200_range_page1.json")
    serve(
        api,
        f"{local}/v2/aggs/ticker/AAPL/range/1/day/1578114000000/2020-01-10",
        "massive_200_range_page2.json",
    )
    # When the range is fetched / Then page 2 is requested from the local server (an unmatched request to
    # api.massive.com would fail the call)
    assert len(provider.range_bars("AAPL", dt.date(2020, 1, 1), dt.date(2020, 1, 10)).bars) == 5
    assert all(c.request.url.startswith(local) for c in api.calls)


def test_given_an_empty_span_when_range_bars_then_empty_bars_not_an_error(api, massive):
    serve(api, range_url("AAPL", "2020-01-04", "2020-01-05"), "massive_200_results_missing.json")
    result = massive.range_bars("AAPL", dt.date(2020, 1, 4), dt.date(2020, 1, 5))
    assert (result.bars, result.calls, len(result.raw_pages)) == ((), 1, 1)


def test_given_a_bar_outside_the_span_when_range_bars_then_malformed(api, massive):
    serve(api, range_url("AAPL", "2020-01-03", "2020-01-10"), "massive_200_range_single.json")
    with pytest.raises(MalformedResponse, match="outside the range"):
        massive.range_bars("AAPL", dt.date(2020, 1, 3), dt.date(2020, 1, 10))


def test_given_a_next_url_loop_when_range_bars_then_malformed(api, massive):
    looping = b'{"status":"OK","results":[],"next_url":"https://api.massive.com/v2/aggs/x?cursor=a"}'
    serve(api, range_url("AAPL", "2020-01-01", "2020-01-10"), raw=looping)
    serve(api, f"{BASE}/v2/aggs/x", raw=looping)
    with pytest.raises(MalformedResponse, match="repeats"):
        massive.range_bars("AAPL", dt.date(2020, 1, 1), dt.date(2020, 1, 10))


def test_given_grouped_daily_when_session_bars_then_only_watchlist_rows_at_the_session_date(api, massive):
    serve(
        api,
        f"{BASE}/v2/aggs/grouped/locale/us/market/stocks/2020-10-14",
        "massive_200_grouped.json",
        params={"adjusted": "true"},
    )
    result = massive.session_bars(dt.date(2020, 10, 14), ["AAPL", "GOOGL", "MSFT", "TSLA"])
    # GOOGL is absent from the snapshot: not an error here; KIMpL and ZZZZ were not requested.
    assert [b.ticker for b in result.bars] == ["AAPL", "MSFT", "TSLA"]
    # t = 1602705600000 is 16:00 ET (grouped bars stamp the end of the session): still 2020-10-14
    assert {b.date for b in result.bars} == {dt.date(2020, 10, 14)}
    assert result.bars[0] == DailyBar(
        "AAPL",
        dt.date(2020, 10, 14),
        Decimal(121),
        Decimal("123.03"),
        Decimal("119.62"),
        Decimal("121.19"),
        Decimal(151062297),
    )
    assert (result.calls, result.raw_pages) == (1, (body("massive_200_grouped.json"),))
    assert "snapshot" in massive.capabilities.strategies


def test_given_a_non_session_when_session_bars_then_empty(api, massive):
    serve(api, f"{BASE}/v2/aggs/grouped/locale/us/market/stocks/2023-01-01", "massive_200_grouped_empty.json")
    assert massive.session_bars(dt.date(2023, 1, 1), ["AAPL"]).bars == ()


def test_given_a_watchlist_row_for_another_day_when_session_bars_then_malformed(api, massive):
    serve(api, f"{BASE}/v2/aggs/grouped/locale/us/market/stocks/2020-10-15", "massive_200_grouped.json")
    with pytest.raises(MalformedResponse, match="AAPL row is for 2020-10-14"):
        massive.session_bars(dt.date(2020, 10, 15), ["AAPL"])


def test_previous_close_reads_the_16h_stamp_as_the_session_date(api, massive):
    serve(api, f"{BASE}/v2/aggs/ticker/AAPL/prev", "massive_200_prev.json")
    (bar,) = massive.previous_close("AAPL").bars
    assert (bar.date, bar.open, bar.close) == (dt.date(2020, 11, 10), Decimal("115.55"), Decimal("115.97"))


def test_open_close_builds_one_bar_and_404_is_no_data(api, massive):
    serve(api, f"{BASE}/v1/open-close/AAPL/2023-01-09", "massive_200_open_close.json")
    serve(api, f"{BASE}/v1/open-close/AAPL/2023-01-07", "massive_404_not_found.json", status=404)
    (bar,) = massive.open_close("AAPL", dt.date(2023, 1, 9)).bars
    assert bar == DailyBar(
        "AAPL",
        dt.date(2023, 1, 9),
        Decimal("324.66"),
        Decimal("326.2"),
        Decimal("322.3"),
        Decimal("325.12"),
        Decimal(26122646),
    )
    with pytest.raises(NoData, match="Data not found"):
        massive.open_close("AAPL", dt.date(2023, 1, 7))


def test_open_close_for_another_day_is_malformed(api, massive):
    serve(api, f"{BASE}/v1/open-close/AAPL/2023-01-10", "massive_200_open_close.json")
    with pytest.raises(MalformedResponse, match="2023-01-09"):
        massive.open_close("AAPL", dt.date(2023, 1, 10))


@pytest.mark.parametrize(
    ("status", "name", "error", "text"),
    [
        (400, "massive_400_missing_key.json", ProviderAuthError, "API Key was not provided"),
        (401, "massive_400_missing_key.json", ProviderAuthError, "API Key was not provided"),
        (401, "massive_401_unknown_key.json", ProviderAuthError, "Unknown API Key"),
        (403, "massive_403_timeframe.json", PlanLimitError, "data timeframe"),
        (403, "massive_403_entitlement.json", PlanLimitError, "not entitled"),
        (404, "massive_404_not_found.json", NoData, "Data not found"),
        (429, "massive_429_rate_limit.json", RateLimited, "maximum requests per minute"),
    ],
)
def test_given_a_vendor_error_body_then_the_named_error_carries_the_vendor_message(
    api, massive, status, name, error, text
):
    serve(api, range_url("AAPL", "2020-01-02", "2020-01-02"), name, status=status)
    with pytest.raises(error, match=text) as info:
        massive.daily_bar("AAPL", dt.date(2020, 1, 2))
    assert type(info.value) is error


def test_given_429_with_retry_after_then_rate_limited_carries_it(api, massive):
    serve(
        api,
        range_url("AAPL", "2020-01-02", "2020-01-02"),
        "massive_429_rate_limit.json",
        status=429,
        headers={"Retry-After": "12"},
    )
    with pytest.raises(RateLimited) as info:
        massive.daily_bar("AAPL", dt.date(2020, 1, 2))
    assert info.value.retry_after == 12.0


def test_given_429_with_an_empty_body_then_rate_limited_without_retry_after(api, massive):
    serve(api, range_url("AAPL", "2020-01-02", "2020-01-02"), raw=b"", status=429)
    with pytest.raises(RateLimited) as info:
        massive.daily_bar("AAPL", dt.date(2020, 1, 2))
    assert info.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "raw", "error"),
    [
        (500, b"<html>Internal Server Error</html>", ProviderUnavailable),
        (502, b"", ProviderUnavailable),
        (503, b'{"status":"ERROR","error":"maintenance"}', ProviderUnavailable),
        (403, b"", ProviderAuthError),
        (418, b'{"status":"ERROR","error":"teapot"}', RequestRejected),
        (200, b"{not json", MalformedResponse),
        (200, b"", MalformedResponse),
        (200, b"[]", MalformedResponse),
        (200, b'{"results":{"o":1}}', MalformedResponse),
        (200, b'{"results":[{"o":1,"h":1,"l":1,"v":1,"t":1577941200000}]}', MalformedResponse),  # no c
        (200, b'{"results":[{"o":"1","h":1,"l":1,"c":1,"v":1,"t":1577941200000}]}', MalformedResponse),
        (200, b'{"results":[{"o":true,"h":1,"l":1,"c":1,"v":1,"t":1577941200000}]}', MalformedResponse),
        (200, b'{"results":[{"o":NaN,"h":1,"l":1,"c":1,"v":1,"t":1577941200000}]}', MalformedResponse),
        (200, b'{"results":[{"o":1,"h":1,"l":1,"c":1,"v":1,"t":1577941200000.5}]}', MalformedResponse),
        (200, b'{"results":[{"o":1,"h":1,"l":1,"c":1,"v":1,"t":"2020-01-02"}]}', MalformedResponse),
        (200, b'{"results":[{"o":1,"h":1,"l":1,"c":1,"v":1,"t":1e30}]}', MalformedResponse),
    ],
)
def test_given_a_broken_reply_then_a_named_error(api, massive, status, raw, error):
    serve(api, range_url("AAPL", "2020-01-02", "2020-01-02"), raw=raw, status=status)
    with pytest.raises(error) as info:
        massive.daily_bar("AAPL", dt.date(2020, 1, 2))
    assert type(info.value) is error


def test_given_a_redirect_then_it_is_not_followed_with_the_key(api, massive):
    # Given a redirect to another host / Then the adapter refuses it instead of following (with the header)
    url = range_url("AAPL", "2020-01-02", "2020-01-02")
    api.add(responses.GET, url, status=301, headers={"Location": "https://elsewhere.example/x"})
    with pytest.raises(RequestRejected, match="redirect"):
        massive.daily_bar("AAPL", dt.date(2020, 1, 2))
    assert len(api.calls) == 1


@pytest.mark.parametrize(
    "failure", [requests.ConnectionError("boom"), requests.ReadTimeout("slow"), requests.ConnectTimeout("x")]
)
def test_given_a_transport_failure_then_provider_unavailable_without_chained_context(api, massive, failure):
    api.add(responses.GET, range_url("AAPL", "2020-01-02", "2020-01-02"), body=failure)
    with pytest.raises(ProviderUnavailable) as info:
        massive.daily_bar("AAPL", dt.date(2020, 1, 2))
    assert info.value.__cause__ is None and info.value.__context__ is None
