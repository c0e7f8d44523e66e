"""A run the configured provider cannot serve is refused by name before any provider call or slot.

The capability table is each adapter's `capabilities`; Validate Input (the daily run), Plan Backfill (the
backfill) and the snapshot fetch check it. Terraform's mirror of it is compared in
tests/infrastructure/test_capabilities.py.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from stock_movers.adapters.ratelimiter import Acquired
from stock_movers.domain.calendar import is_session, last_n_sessions, latest_completed_session
from stock_movers.domain.errors import (
    UnsupportedByProvider,
    UnsupportedHistory,
    UnsupportedStrategy,
    UnsupportedWatchlist,
)
from stock_movers.execution_names import daily_execution_name
from stock_movers.providers import PROVIDERS
from stock_movers.providers.base import FETCH_STRATEGIES, Capabilities, FetchResult
from stock_movers.providers.capabilities import (
    capabilities_of,
    capability_table,
    check_daily_run,
    daily_quota,
    oldest_reachable,
    require_daily_calls,
    require_history,
    require_strategy,
)
from stock_movers.usecases.fetch import FetchContext, fetch_snapshot
from tests.unit.handlers.conftest import DEPLOYED, WatchlistObject

ROOT = Path(__file__).resolve().parents[2]
# Thursday 2026-11-19, 21:00 UTC = 16:00 New York: that day's session has just closed.
NOW = dt.datetime(2026, 11, 19, 21, 0, tzinfo=dt.UTC)


# --------------------------------------------------------------------------------------------- the table
def test_the_table_names_every_provider_and_only_massive_has_a_snapshot() -> None:
    # Given the adapters, When their capabilities are tabled, Then every provider serves per_ticker and
    # push (pushed bars, the rest per ticker) and only Massive (grouped daily) serves snapshot; only Alpha
    # Vantage's compact series limits history
    assert capability_table() == {
        "alphavantage": {"strategies": ["per_ticker", "push"], "history_sessions": 100, "daily_calls": 25},
        "massive": {
            "strategies": ["per_ticker", "push", "snapshot"],
            "history_sessions": None,
            "daily_calls": None,
        },
        "tiingo": {"strategies": ["per_ticker", "push"], "history_sessions": None, "daily_calls": 1000},
    }
    assert set(capability_table()) == set(PROVIDERS)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize("strategy", FETCH_STRATEGIES)
def test_every_pair_is_served_exactly_when_the_adapter_lists_it(provider: str, strategy: str) -> None:
    # Given a provider and a strategy, When checked, Then it passes iff the adapter lists the strategy
    served = strategy in PROVIDERS[provider].capabilities.strategies
    if served:
        require_strategy(provider, strategy)
    else:
        with pytest.raises(UnsupportedStrategy) as info:
            require_strategy(provider, strategy)
        assert (info.value.provider, info.value.strategy) == (provider, strategy)
        assert str(info.value) == (
            f"fetch strategy '{strategy}' is not served by provider '{provider}'; it serves: per_ticker, push"
        )


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_push_is_served_exactly_by_the_providers_that_serve_per_ticker(provider: str) -> None:
    # Given push (pushed bars, then one call per ticker without one), Then a provider serves it iff it
    # serves per_ticker: the fetch of the rest is a per-ticker fetch
    strategies = PROVIDERS[provider].capabilities.strategies
    assert ("push" in strategies) == ("per_ticker" in strategies)


def test_an_unknown_strategy_is_unsupported_and_an_unknown_provider_is_named() -> None:
    with pytest.raises(UnsupportedStrategy, match=r"'grouped' is not served by provider 'massive'"):
        require_strategy("massive", "grouped")
    with pytest.raises(ValueError, match=r"^provider: unknown provider 'polygon'"):
        capabilities_of("polygon")


def test_unsupported_errors_share_a_base_and_survive_pickling() -> None:
    import pickle

    for error in (
        UnsupportedStrategy("tiingo", "snapshot", {"per_ticker"}),
        UnsupportedHistory("alphavantage", "2020-01-02", "2026-06-26", 100),
        UnsupportedWatchlist("alphavantage", 26, 25),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error)
        assert isinstance(copy, UnsupportedByProvider)


# ---------------------------------------------------------------------------------------- daily quota
def test_an_operation_over_the_free_daily_quota_is_refused_and_a_paid_plan_overrides_it() -> None:
    # Given Alpha Vantage's free key (25 calls a day), Then 25 calls pass and 26 are refused by name
    require_daily_calls("alphavantage", 25)
    with pytest.raises(UnsupportedWatchlist, match=r"^26 tickers need 26 calls of provider 'alphavantage'"):
        require_daily_calls("alphavantage", 26)
    # And a deployment's figure wins: 0 is no quota, a number is the plan's
    assert (daily_quota("alphavantage", 0), daily_quota("alphavantage", 75), daily_quota("massive")) == (
        None,
        75,
        None,
    )
    require_daily_calls("alphavantage", 500, 0)
    with pytest.raises(UnsupportedWatchlist):
        require_daily_calls("massive", 11, 10)
    # And the daily run counts one call per ticker, or one snapshot call whatever the list
    with pytest.raises(UnsupportedWatchlist):
        check_daily_run(
            "tiingo", "per_ticker", dt.date(2026, 11, 19), True, NOW, tickers=500, daily_calls=499
        )
    check_daily_run("massive", "snapshot", dt.date(2026, 11, 19), True, NOW, tickers=500, daily_calls=1)
    # And a non-session day fetches nothing, so it is not counted
    check_daily_run("alphavantage", "per_ticker", dt.date(2026, 11, 21), False, NOW, tickers=500)


# ------------------------------------------------------------------------------------------- history
def test_alphavantage_reaches_the_100_sessions_ending_at_the_latest_completed_one() -> None:
    # Given Alpha Vantage's compact window of 100 sessions, When asked at NOW, Then its oldest reachable
    # session is the 100th session back counting the one that just closed
    oldest = oldest_reachable("alphavantage", NOW)
    window = last_n_sessions(latest_completed_session(NOW), 100)
    assert latest_completed_session(NOW) == dt.date(2026, 11, 19)
    assert oldest == window[0] and len(window) == 100 and is_session(oldest)
    # And that session passes while the one before it is refused, naming both dates
    require_history("alphavantage", oldest, NOW)
    before = last_n_sessions(oldest, 2)[0]
    with pytest.raises(UnsupportedHistory) as info:
        require_history("alphavantage", before, NOW)
    assert str(info.value) == (
        f"{before.isoformat()} is older than provider 'alphavantage' reaches: its 100-session history "
        f"starts at {oldest.isoformat()}"
    )


@pytest.mark.parametrize("provider", ["massive", "tiingo"])
def test_providers_without_an_adapter_limit_reach_any_date(provider: str) -> None:
    assert oldest_reachable(provider, NOW) is None
    require_history(provider, dt.date(2000, 1, 3), NOW)


def test_the_daily_check_skips_history_for_a_non_session() -> None:
    # Given an old Saturday (no fetch happens on a non-session), Then alphavantage does not refuse it
    check_daily_run("alphavantage", "per_ticker", dt.date(2020, 1, 4), False, NOW)
    # But an old session and an unsupported strategy are refused
    with pytest.raises(UnsupportedHistory):
        check_daily_run("alphavantage", "per_ticker", dt.date(2020, 1, 3), True, NOW)
    with pytest.raises(UnsupportedStrategy):
        check_daily_run("alphavantage", "snapshot", dt.date(2026, 11, 19), True, NOW)


# --------------------------------------------------------------------------------------- snapshot fetch
class PerTickerOnly:
    name = "tiingo"
    capabilities = Capabilities(strategies=frozenset({"per_ticker"}))

    def __init__(self) -> None:
        self.calls = 0

    def session_bars(self, day: dt.date, tickers: Any) -> FetchResult:
        self.calls += 1
        return FetchResult(self.name, (), (b"[]",), 1)


class CountingLimiter:
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self, max_wait_seconds: float) -> Acquired:
        self.acquired += 1
        return Acquired(at=time.time(), waited_seconds=0.0, attempts=1)


def test_a_snapshot_fetch_on_a_per_ticker_provider_takes_no_slot_and_makes_no_call() -> None:
    # Given a fetch function whose provider has no snapshot (configured apart from Validate Input)
    provider, limiter = PerTickerOnly(), CountingLimiter()
    ctx = FetchContext(provider=provider, limiter=limiter, raw=None, max_wait_seconds=1)  # type: ignore[arg-type]
    # When the snapshot fetch runs, Then it is refused by name before a slot or a call
    with pytest.raises(UnsupportedStrategy):
        fetch_snapshot(ctx, dt.date(2026, 11, 19), ["AAPL"], daily_execution_name("2026-11-19"))
    assert (limiter.acquired, provider.calls) == (0, 0)


# ---------------------------------------------------------------------------------------------- handlers
def context(name: str) -> SimpleNamespace:
    return SimpleNamespace(
        function_name=name,
        memory_limit_in_mb=256,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        aws_request_id="req-1",
        get_remaining_time_in_millis=lambda: 10_000,
    )


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, dict[str, str]], ModuleType]:
    def _load(function: str, env: dict[str, str]) -> ModuleType:
        watchlist = {k: DEPLOYED[k] for k in ("BUCKET_NAME", "WATCHLIST_KEY", "WATCHLIST_VERSION")}
        base = {"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_SERVICE_NAME": "stock-movers", **watchlist}
        for k, v in {**base, **env}.items():
            monkeypatch.setenv(k, v)
        path = ROOT / "functions" / function / "app.py"
        spec = importlib.util.spec_from_file_location(f"{function}_app_{time.monotonic_ns()}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module._watchlist._s3 = WatchlistObject()  # the deployed watchlist object
        return module

    return _load


def test_validate_input_refuses_snapshot_on_tiingo_by_name(load: Any) -> None:
    # Given Validate Input configured with tiingo and the snapshot strategy
    app = load("validate_input", {"MARKET_PROVIDER": "tiingo", "FETCH_STRATEGY": "snapshot"})
    # When a run is validated, Then it fails with UnsupportedStrategy (the state machine's error name)
    with pytest.raises(UnsupportedStrategy, match=r"'snapshot' is not served by provider 'tiingo'"):
        app.handler({"input": {}, "executionName": "daily"}, context("validate_input"))


def test_validate_input_passes_a_served_pair_through(load: Any) -> None:
    # Given massive with snapshot, When validated, Then the strategy flows on to the state machine
    app = load("validate_input", {"MARKET_PROVIDER": "massive", "FETCH_STRATEGY": "snapshot"})
    out = app.handler({"input": {}, "executionName": "daily"}, context("validate_input"))
    assert out["strategy"] == "snapshot" and out["isSession"] is True
    # And alphavantage with per_ticker serves the latest session
    app = load("validate_input", {"MARKET_PROVIDER": "alphavantage", "FETCH_STRATEGY": "per_ticker"})
    assert app.handler({"input": {}, "executionName": "daily"}, context("validate_input"))["strategy"] == (
        "per_ticker"
    )


def test_validate_input_refuses_a_session_older_than_alphavantage_reaches(load: Any) -> None:
    app = load("validate_input", {"MARKET_PROVIDER": "alphavantage", "FETCH_STRATEGY": "per_ticker"})
    with pytest.raises(UnsupportedHistory, match=r"^2020-01-02 is older than provider 'alphavantage'"):
        app.handler({"input": {"date": "2020-01-02"}, "executionName": "d"}, context("validate_input"))


def test_validate_input_reports_bad_input_before_the_provider_check(load: Any) -> None:
    from stock_movers.domain.errors import InvalidInput

    app = load("validate_input", {"MARKET_PROVIDER": "tiingo", "FETCH_STRATEGY": "snapshot"})
    with pytest.raises(InvalidInput, match=r"^date:"):
        app.handler({"input": {"date": "yesterday"}, "executionName": "d"}, context("validate_input"))


PLAN_ENV = {"TABLE_NAME": "unused", "BACKFILL_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:1:stateMachine:b"}


def test_plan_backfill_refuses_a_span_older_than_alphavantage_reaches(load: Any) -> None:
    # Given the backfill planner with alphavantage, When a forced backfill of January 2020 is planned
    # (force: no stored-day query), Then it fails with UnsupportedHistory before any range call
    app = load("plan_backfill", {**PLAN_ENV, "MARKET_PROVIDER": "alphavantage"})
    request = {"step": "plan", "input": {"from": "2020-01-02", "to": "2020-01-31", "force": True}}
    with pytest.raises(UnsupportedHistory, match=r"^2020-01-02 is older than provider 'alphavantage'"):
        app.handler(request, context("plan_backfill"))
    # And the same span with massive is planned
    app = load("plan_backfill", {**PLAN_ENV, "MARKET_PROVIDER": "massive"})
    assert app.handler(request, context("plan_backfill"))["fetchFrom"] == "2020-01-02"


TWENTY_SIX = [f"T{chr(65 + i)}" for i in range(26)]


def test_validate_input_and_plan_backfill_refuse_more_tickers_than_the_daily_quota(load: Any) -> None:
    # Given Alpha Vantage's free key, When a run or a backfill names 26 tickers, Then each is refused by
    # name before any call (the state machine's error name)
    app = load("validate_input", {"MARKET_PROVIDER": "alphavantage", "FETCH_STRATEGY": "per_ticker"})
    with pytest.raises(UnsupportedWatchlist):
        app.handler({"input": {"tickers": TWENTY_SIX}, "executionName": "d"}, context("validate_input"))
    plan = load("plan_backfill", {**PLAN_ENV, "MARKET_PROVIDER": "alphavantage"})
    request = {
        "step": "plan",
        "input": {"from": "2026-11-02", "to": "2026-11-06", "tickers": TWENTY_SIX, "force": True},
    }
    with pytest.raises(UnsupportedWatchlist):
        plan.handler(request, context("plan_backfill"))
    # And with a paid plan's PROVIDER_DAILY_CALLS both go ahead
    paid = {"MARKET_PROVIDER": "alphavantage", "PROVIDER_DAILY_CALLS": "0"}
    app = load("validate_input", {**paid, "FETCH_STRATEGY": "per_ticker"})
    assert (
        len(app.handler({"input": {"tickers": TWENTY_SIX}, "executionName": "d"}, context("v"))["tickers"])
        == 26
    )
    plan = load("plan_backfill", {**PLAN_ENV, **paid})
    assert plan.handler(request, context("plan_backfill"))["fetchFrom"] == "2026-11-02"


def test_a_bad_daily_calls_setting_is_a_settings_error() -> None:
    from stock_movers.settings import SettingsError, load
    from stock_movers.settings.functions import ValidateInputSettings

    env = {"BUCKET_NAME": "b", "WATCHLIST_KEY": "k", "PROVIDER_DAILY_CALLS": "-1"}
    with pytest.raises(SettingsError) as raised:
        load(ValidateInputSettings, env)
    assert "PROVIDER_DAILY_CALLS" in raised.value.problems
    assert load(ValidateInputSettings, {**env, "PROVIDER_DAILY_CALLS": ""}).provider.daily_calls is None
