"""Failover (issue 16 item 4), without AWS: the failover providers' settings, the sources a fetch may call,
the bars a failover provider served recorded as its own, and a day refused when its bars are in different
price bases (the state machine's failover path itself runs in tests/integration/test_failover.py)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from stock_movers.adapters.storage import bar_work_key, day_work_key
from stock_movers.domain.splits import MixedBasis
from stock_movers.execution_names import daily_execution_name
from stock_movers.providers import PROVIDERS
from stock_movers.settings import SettingsError, load
from stock_movers.settings.functions import FetchBarsSettings, FetchSettings
from stock_movers.usecases.fetch import FetchContext, fetch_ticker
from stock_movers.usecases.pick import pick_stored_day
from stock_movers.usecases.wiring import source_of, sources
from tests.support.work_objects import FakeWorkObjects

DAY = dt.date(2026, 1, 5)
RUN = daily_execution_name("2026-01-05")
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
ENV = {
    "CONTROL_TABLE_NAME": "control", "BUCKET_NAME": "data", "MARKET_PROVIDER": "massive",
    "API_KEY_SECRET_ARN": ARN + "primary", "RATE_LIMIT_CALLS": "5", "RATE_LIMIT_PERIOD_SECONDS": "60",
}  # fmt: skip


def entry(provider: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"provider": provider, "baseUrl": "", "apiKeySecretArn": f"{ARN}failover-{n}",
            "rateLimitCalls": 50, "rateLimitPeriodSeconds": 3600, **extra}  # fmt: skip


def bar(ticker: str, open_: str, close: str) -> dict[str, str]:
    return {"ticker": ticker, "date": DAY.isoformat(), "open": open_, "high": max(open_, close, key=float),
            "low": min(open_, close, key=float), "close": close, "volume": "1000"}  # fmt: skip


# ------------------------------------------------------------------------------------------ settings


def test_failover_providers_are_read_in_order_each_with_its_own_secret_and_plan() -> None:
    # Given two failover providers (tiingo, then massive again with another key and URL)
    env = {
        **ENV,
        "FAILOVER_PROVIDERS": json.dumps([entry("tiingo", 1), entry("massive", 2, baseUrl="http://b")]),
    }
    # When fetch_bars' settings are read, Then the sources are the primary and then those, in order
    settings = load(FetchBarsSettings, env)
    got = [
        (s.index, s.name, s.base_url, s.api_key_secret_arn, s.calls, s.period_seconds)
        for s in sources(settings)
    ]
    assert got == [
        (0, "massive", None, ARN + "primary", 5, 60.0),
        (1, "tiingo", None, ARN + "failover-1", 50, 3600.0),
        (2, "massive", "http://b", ARN + "failover-2", 50, 3600.0),
    ]
    assert source_of(settings, 2).api_key_secret_arn == ARN + "failover-2"


def test_without_failover_there_is_only_the_primary() -> None:
    # fetch_bars without FAILOVER_PROVIDERS, and fetch_range (FetchSettings: no failover at all)
    for cls in (FetchBarsSettings, FetchSettings):
        settings = load(cls, ENV)
        assert [s.name for s in sources(settings)] == ["massive"]
        with pytest.raises(SettingsError, match="FAILOVER_PROVIDERS has no provider 1"):
            source_of(settings, 1)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("{}", "must be a JSON array"),
        ("[", "must be a JSON array"),
        (json.dumps([entry("yahoo", 1)]), "unknown provider 'yahoo'"),
        (json.dumps([{"provider": "tiingo"}]), "must have exactly the fields"),
        (json.dumps([entry("tiingo", 1, rateLimitCalls=0)]), "rateLimitCalls must be a whole number"),
        (json.dumps([entry("tiingo", 1, rateLimitCalls=True)]), "rateLimitCalls must be a whole number"),
        (json.dumps([entry("tiingo", 1, rateLimitPeriodSeconds=-1)]), "rateLimitPeriodSeconds must be"),
        (json.dumps([entry("tiingo", 1, apiKeySecretArn="")]), "apiKeySecretArn a non-empty string"),
        (json.dumps([entry("tiingo", n) for n in range(4)]), "at most 3"),
    ],
)
def test_a_malformed_failover_list_is_a_settings_error_naming_it(value: str, why: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load(FetchBarsSettings, {**ENV, "FAILOVER_PROVIDERS": value})
    assert (
        "FAILOVER_PROVIDERS" in raised.value.problems and why in raised.value.problems["FAILOVER_PROVIDERS"]
    )


# ------------------------------------------------------------------------------------------ fetch


class FakeProvider:
    def __init__(self, name: str) -> None:
        self.name = name
        self.basis = PROVIDERS[name].basis  # the adapter's own basis
        self.capabilities = PROVIDERS[name].capabilities
        self.bars = {"AAPL": bar("AAPL", "100", "101"), "MSFT": bar("MSFT", "100", "97.5")}

    def daily_bar(self, ticker: str, day: dt.date) -> Any:
        from stock_movers.domain.bars import DailyBar
        from stock_movers.providers.base import FetchResult

        return FetchResult(self.name, (DailyBar.from_dict(self.bars[ticker]),), (b"{}",), 1)


class FreeLimiter:
    def acquire(self, max_wait_seconds: float, deadline: float | None = None) -> Any:
        from stock_movers.adapters.ratelimiter import Acquired

        return Acquired(at=1.0, waited_seconds=0.0, attempts=1)

    def complete(self, at: float) -> None:
        pass


class Raw(FakeWorkObjects):
    def put_pages(self, keys: list[str], pages: list[bytes]) -> list[str]:
        for key, page in zip(keys, pages, strict=True):
            self.put_bytes(key, page, "application/json")
        return list(keys)


def fetched(objects: Raw, served_by: dict[str, str]) -> None:
    """Each ticker's fetch as the state machine ran it: by the provider that served it."""
    for ticker, name in served_by.items():
        provider, limiter = FakeProvider(name), FreeLimiter()
        ctx = FetchContext(provider=provider, limiter=limiter, raw=objects, max_wait_seconds=1)  # type: ignore[arg-type]
        fetch_ticker(ctx, ticker, DAY, RUN)


def test_a_day_served_by_the_failover_provider_records_it_on_the_winner_and_every_row() -> None:
    # Given every ticker's bar fetched from the failover provider (the primary answered 503 throughout)
    objects = Raw({})
    fetched(objects, {"AAPL": "tiingo", "MSFT": "tiingo"})
    # When Pick Winner reduces the day
    out = pick_stored_day(objects, DAY, ["AAPL", "MSFT"], "", RUN)
    # Then the winner and every row name tiingo as the provider that served them
    day = json.loads(objects.objects[day_work_key(RUN)])
    assert out["winner"]["ticker"] == "MSFT" and out["winner"]["provider"] == "tiingo"
    assert {r["ticker"]: r["provider"] for r in day["rows"]} == {"AAPL": "tiingo", "MSFT": "tiingo"}


def test_providers_of_one_basis_may_share_a_day_each_row_keeping_its_own() -> None:
    # Given AAPL from tiingo and MSFT from alphavantage (both as traded: unadjusted)
    objects = Raw({})
    fetched(objects, {"AAPL": "tiingo", "MSFT": "alphavantage"})
    # When Pick Winner reduces the day, Then it is stored with each row's own provider, the winner's its own
    out = pick_stored_day(objects, DAY, ["AAPL", "MSFT"], "", RUN)
    day = json.loads(objects.objects[day_work_key(RUN)])
    assert {r["ticker"]: r["provider"] for r in day["rows"]} == {"AAPL": "tiingo", "MSFT": "alphavantage"}
    assert out["winner"]["provider"] == "alphavantage"


def test_a_day_mixing_price_bases_is_refused_and_nothing_is_written() -> None:
    # Given AAPL served by massive (split-adjusted) and MSFT by tiingo after a failover (as traded)
    objects = Raw({})
    fetched(objects, {"AAPL": "massive", "MSFT": "tiingo"})
    assert json.loads(objects.objects[bar_work_key(RUN, "MSFT")])["basis"] == "unadjusted"
    # When Pick Winner reduces the day, Then MixedBasis names both bases, and no day object is written
    with pytest.raises(MixedBasis, match="adjusted, unadjusted"):
        pick_stored_day(objects, DAY, ["AAPL", "MSFT"], "", RUN)
    assert day_work_key(RUN) not in objects.objects


def test_a_massive_snapshot_completed_by_a_tiingo_fetch_is_refused() -> None:
    # Given the primary's snapshot lacked MSFT, and MSFT came from the failover provider
    snapshot = f"raw/provider=massive/date={DAY}/_snapshot-{RUN}.json"
    body = {"AAPL": bar("AAPL", "100", "101"), "_provider": "massive", "_basis": "adjusted", "_rawKey": "r"}
    objects = Raw({snapshot: json.dumps(body).encode()})
    fetched(objects, {"MSFT": "tiingo"})
    with pytest.raises(MixedBasis):
        pick_stored_day(objects, DAY, ["AAPL", "MSFT"], snapshot, RUN)


def test_every_adapter_says_its_basis() -> None:
    assert {n: c.basis for n, c in PROVIDERS.items()} == {
        "massive": "adjusted", "alphavantage": "unadjusted", "tiingo": "unadjusted",
    }  # fmt: skip
