"""What every adapter promises: the factory, the interface, argument checks, one Session, and no key leaks."""

import datetime as dt
import logging
import traceback
from pathlib import Path

import pytest
import requests
import responses

from stock_movers.domain.errors import InvalidInput
from stock_movers.providers import (
    AlphaVantageProvider,
    MassiveProvider,
    Provider,
    ProviderError,
    TiingoProvider,
    make_provider,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
SECRET = "sk-LEAKCANARY-7f3a9c2e1b"
DAY = dt.date(2020, 1, 2)


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "cls"),
    [("massive", MassiveProvider), ("alphavantage", AlphaVantageProvider), ("tiingo", TiingoProvider)],
)
def test_make_provider_builds_each_adapter_conforming_to_the_interface(name, cls):
    provider = make_provider(name, api_key="k", base_url="http://127.0.0.1:9/")
    assert type(provider) is cls
    assert isinstance(provider, Provider)
    assert provider.name == name
    assert ("snapshot" in provider.capabilities.strategies) is (name == "massive")
    assert "per_ticker" in provider.capabilities.strategies


def test_make_provider_rejects_an_unknown_name_naming_it():
    with pytest.raises(ValueError, match=r"^provider: unknown provider 'polygon'"):
        make_provider("polygon", api_key="k")


@pytest.mark.parametrize("key", ["", "has space", "line\nbreak", None, 42])
def test_a_malformed_key_is_refused_without_being_echoed(key):
    with pytest.raises(ValueError) as info:
        make_provider("massive", api_key=key)
    assert str(info.value).startswith("api_key: ")
    if isinstance(key, str) and key:
        assert key not in str(info.value)


@pytest.mark.parametrize("base_url", ["api.massive.com", "ftp://x", "https://x/?apiKey=1", "https://"])
def test_a_malformed_base_url_is_refused(base_url):
    with pytest.raises(ValueError, match=r"^base_url: "):
        make_provider("tiingo", api_key="k", base_url=base_url)


@pytest.mark.parametrize("timeout", [0, -1, "10", True])
def test_a_bad_timeout_is_refused(timeout):
    with pytest.raises(ValueError, match=r"^timeout: "):
        make_provider("massive", api_key="k", timeout=timeout)


CALLS = [
    ("daily_bar", ("aapl", DAY), "ticker"),
    ("daily_bar", ("AAPL", "2020-01-02"), "day"),
    ("daily_bar", ("AAPL", dt.datetime(2020, 1, 2)), "day"),
    ("range_bars", ("AAPL", dt.date(2020, 2, 1), DAY), "start"),
    ("range_bars", ("AAPL", DAY, "2020-02-01"), "end"),
    ("range_bars", ("BRK.BBB", DAY, DAY), "ticker"),
]


@pytest.mark.parametrize("name", ["massive", "alphavantage", "tiingo"])
@pytest.mark.parametrize(("method", "args", "field"), CALLS)
def test_bad_arguments_raise_invalid_input_before_any_http_call(name, method, args, field):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        provider = make_provider(name, api_key="k")
        with pytest.raises(InvalidInput) as info:
            getattr(provider, method)(*args)
        assert info.value.field == field
        assert len(api.calls) == 0


@pytest.mark.parametrize(
    ("tickers", "field"),
    [([], "tickers"), ("AAPL", "tickers"), (["AAPL", "msft"], "tickers[1]"), (["AAPL", "AAPL"], "tickers")],
)
def test_session_bars_with_a_bad_watchlist_is_invalid_input(tickers, field):
    with pytest.raises(InvalidInput) as info:
        make_provider("massive", api_key="k").session_bars(DAY, tickers)
    assert info.value.field == field


class CountingSession(requests.Session):
    """A real Session that remembers each GET's timeout, to prove the adapter uses the one it was given."""

    def __init__(self):
        super().__init__()
        self.timeouts = []

    def get(self, url, **kwargs):
        self.timeouts.append(kwargs.get("timeout"))
        return super().get(url, **kwargs)


def test_an_injected_session_is_reused_for_every_call_with_connect_and_read_timeouts():
    session = CountingSession()
    provider = make_provider("massive", api_key="k", session=session, timeout=3)
    with responses.RequestsMock() as api:
        url = "https://api.massive.com/v2/aggs/ticker/AAPL/range/1/day/2020-01-02/2020-01-02"
        api.add(responses.GET, url, body=body("massive_200_range_single.json"))
        provider.daily_bar("AAPL", DAY)
        provider.daily_bar("AAPL", DAY)
    assert session.timeouts == [(3.0, 3.0), (3.0, 3.0)]


# ---- secret safety ------------------------------------------------------------------------------

MASSIVE_BASE = "https://api.massive.com"
MASSIVE_RANGE = f"{MASSIVE_BASE}/v2/aggs/ticker/AAPL/range/1/day/2020-01-02/2020-01-02"
AV_URL = "https://www.alphavantage.co/query"
TIINGO_URL = "https://api.tiingo.com/tiingo/daily/AAPL/prices"

# (provider, url, status, body or exception): success and every error path of each adapter.
SCENARIOS = [
    *[
        ("massive", MASSIVE_RANGE, status, body(name))
        for status, name in [
            (200, "massive_200_range_single.json"),
            (200, "massive_200_results_null.json"),
            (400, "massive_400_missing_key.json"),
            (401, "massive_401_unknown_key.json"),
            (403, "massive_403_timeframe.json"),
            (403, "massive_403_entitlement.json"),
            (404, "massive_404_not_found.json"),
            (429, "massive_429_rate_limit.json"),
        ]
    ],
    ("massive", MASSIVE_RANGE, 401, f'{{"status":"ERROR","error":"Unknown API Key {SECRET}"}}'.encode()),
    ("massive", MASSIVE_RANGE, 200, b"{broken"),
    ("massive", MASSIVE_RANGE, 503, b"<html>down</html>"),
    (
        "massive",
        MASSIVE_RANGE,
        0,
        requests.ConnectionError(f"Max retries exceeded with url: /x?apiKey={SECRET}"),
    ),
    ("massive", MASSIVE_RANGE, 0, requests.ReadTimeout(f"read timed out {SECRET}")),
    *[
        ("alphavantage", AV_URL, 200, body(name))
        for name in [
            "av_200_daily_ibm.json",
            "av_200_per_day.json",
            "av_200_per_second.json",
            "av_200_premium.json",
            "av_200_bad_symbol.json",
            "av_200_bad_key_error_message.json",
            "av_200_bad_key_information.json",
            "av_200_legacy_note.json",
        ]
    ],
    ("alphavantage", AV_URL, 200, f'{{"Information": "odd notice for apikey={SECRET}"}}'.encode()),
    ("alphavantage", AV_URL, 200, b"not json"),
    ("alphavantage", AV_URL, 500, b""),
    ("alphavantage", AV_URL, 0, requests.ConnectionError(f"HTTPSConnectionPool: /query?apikey={SECRET}")),
    ("alphavantage", AV_URL, 0, requests.ConnectTimeout(f"/query?function=X&apikey={SECRET}")),
    ("alphavantage", AV_URL, 0, requests.exceptions.InvalidHeader(f"bad header {SECRET}")),
    *[
        ("tiingo", TIINGO_URL, status, body(name))
        for status, name in [
            (200, "tiingo_200_aapl.json"),
            (404, "tiingo_404_not_found.json"),
            (429, "tiingo_429_hourly.json"),
            (429, "tiingo_429_daily.json"),
        ]
    ],
    ("tiingo", TIINGO_URL, 401, f'{{"detail":"Invalid token {SECRET}."}}'.encode()),
    ("tiingo", TIINGO_URL, 200, b"[{}]"),
    ("tiingo", TIINGO_URL, 0, requests.ConnectionError(f"token={SECRET}")),
]


# The call each scenario answers: one daily bar for a date the fixtures hold.
DAILY_CALL = {
    "massive": ("AAPL", DAY),
    "alphavantage": ("IBM", dt.date(2024, 5, 6)),
    "tiingo": ("AAPL", dt.date(2019, 1, 2)),
}


@pytest.mark.parametrize(("provider_name", "url", "status", "reply"), SCENARIOS)
def test_the_api_key_never_reaches_logs_errors_or_stored_pages(caplog, provider_name, url, status, reply):
    # Given every logger (ours and urllib3's) capturing at DEBUG
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "urllib3.connectionpool", "urllib3.util.retry", "stock_movers"):
        caplog.set_level(logging.DEBUG, logger=name)
    evidence: list[str] = []
    with responses.RequestsMock() as api:
        if isinstance(reply, Exception):
            api.add(responses.GET, url, body=reply)
        else:
            api.add(responses.GET, url, body=reply, status=status)
        # When the adapter runs (success or failure)
        try:
            result = make_provider(provider_name, api_key=SECRET).daily_bar(*DAILY_CALL[provider_name])
            evidence.extend(page.decode("utf-8", "replace") for page in result.raw_pages)
            evidence.append(repr(result))
        except ProviderError as exc:
            evidence += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
        sent = api.calls[0].request
        # (the key really was sent, so its absence below means something)
        assert SECRET in sent.url or SECRET in str(sent.headers)
    evidence.append(caplog.text)
    evidence.extend(str(r.__dict__) for r in caplog.records)
    # Then the key appears nowhere
    for text in evidence:
        assert SECRET not in text


def test_urllib3_request_lines_are_redacted(caplog):
    # Given the filter installed by any adapter, and urllib3 logging its request line exactly as it does
    make_provider("alphavantage", api_key=SECRET)
    caplog.set_level(logging.DEBUG)
    pool = logging.getLogger("urllib3.connectionpool")
    pool.debug(
        '%s://%s:%s "%s %s %s" %s %s',
        "https",
        "www.alphavantage.co",
        443,
        "GET",
        f"/query?function=TIME_SERIES_DAILY&symbol=IBM&outputsize=compact&apikey={SECRET}",
        "HTTP/1.1",
        200,
        None,
    )
    logging.getLogger("urllib3.util.retry").debug(
        "Incremented Retry for (url='%s'): %r", f"/query?apikey={SECRET}&symbol=IBM", None
    )
    # Then the lines are kept but the key is not
    assert "apikey=***" in caplog.text and "symbol=IBM" in caplog.text
    assert SECRET not in caplog.text
