"""validate_input: the run's input resolved to a session with the configured watchlist and strategy."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from stock_movers.domain.errors import InvalidInput, InvalidWatchlist, UnsupportedScope, UnsupportedStrategy
from stock_movers.execution_names import daily_execution_name
from stock_movers.settings import SettingsError
from tests.unit.handlers.conftest import WatchlistObject, deployed_env


def test_a_session_resolves_with_the_watchlist_and_strategy(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given the function as deployed, When Monday 2026-01-05 is validated without tickers
    app = load_handler("validate_input")
    out = app.handler(
        {"input": {"date": "2026-01-05"}, "executionName": daily_execution_name("2026-01-05")}, lambda_context
    )
    # Then it is a session, with the deployed watchlist object's tickers and the FETCH_STRATEGY
    assert out == {
        "date": "2026-01-05",
        "isSession": True,
        "tickers": ["AAPL", "MSFT", "NVDA"],
        "force": False,
        "strategy": "per_ticker",
        "scope": "watchlist",
        "providers": ["massive"],
        "providerCount": 1,
    }


def test_the_run_lists_its_providers_in_failover_order(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given failover providers configured after the primary (several keys: tiingo, then massive again)
    env = {**deployed_env("validate_input"), "FAILOVER_PROVIDER_NAMES": "tiingo,massive"}
    app = load_handler("validate_input", env=env)
    # When a session is validated
    out = app.handler({"input": {"date": "2026-01-05"}, "executionName": "d"}, lambda_context)
    # Then the run's providers are the primary, then the failover ones, in order
    assert out["providers"] == ["massive", "tiingo", "massive"] and out["providerCount"] == 3


def test_an_unknown_failover_provider_is_a_settings_error(load_handler: Callable[..., ModuleType]) -> None:
    env = {**deployed_env("validate_input"), "FAILOVER_PROVIDER_NAMES": "tiingo,yahoo"}
    with pytest.raises(SettingsError, match="FAILOVER_PROVIDER_NAMES names an unknown provider 'yahoo'"):
        load_handler("validate_input", env=env)


def test_a_market_run_has_no_tickers_and_takes_the_snapshot(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given the function as deployed (Massive, per_ticker for the watchlist)
    app = load_handler("validate_input")
    # When a whole-market run of a session is validated
    out = app.handler(
        {"input": {"date": "2026-01-05", "scope": "market"}, "executionName": "m"}, lambda_context
    )
    # Then it names no tickers and always takes the one-call session snapshot
    assert out == {
        "date": "2026-01-05",
        "isSession": True,
        "tickers": [],
        "force": False,
        "strategy": "snapshot",
        "scope": "market",
        "providers": ["massive"],
        "providerCount": 1,
    }


@pytest.mark.parametrize("provider", ["tiingo", "alphavantage"])
def test_a_market_run_with_a_provider_without_a_session_snapshot_is_unsupported_scope(
    load_handler: Callable[..., ModuleType], lambda_context: object, provider: str
) -> None:
    # Given a provider with no one-call session snapshot (its watchlist strategy is fine)
    env = {**deployed_env("validate_input"), "MARKET_PROVIDER": provider, "FETCH_STRATEGY": "per_ticker"}
    app = load_handler("validate_input", env=env)
    # When a market run is validated, Then it is refused by name (no provider is built or called here)
    with pytest.raises(UnsupportedScope) as raised:
        app.handler(
            {"input": {"date": "2026-01-05", "scope": "market"}, "executionName": "d"}, lambda_context
        )
    assert raised.value.provider == provider and raised.value.scope == "market"
    # And the watchlist scope still runs on that provider (its latest session, within every reach)
    out = app.handler({"input": {}, "executionName": "d"}, lambda_context)
    assert out["scope"] == "watchlist"


def test_a_weekend_day_is_no_session(load_handler: Callable[..., ModuleType], lambda_context: object) -> None:
    app = load_handler("validate_input")
    out = app.handler({"input": {"date": "2026-01-03"}, "executionName": "d"}, lambda_context)
    assert out["isSession"] is False


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"date": "2026-13-01"}, "date"),
        ({"tickers": ["aapl"]}, "tickers[0]"),
        ({"force": "yes"}, "force"),
        ("not an object", "input"),
        ({"scope": "Market"}, "scope"),
        ({"scope": ["market"]}, "scope"),
        ({"scope": "market", "tickers": ["AAPL"]}, "tickers"),
    ],
)
def test_bad_input_is_invalid_input_naming_the_field(
    load_handler: Callable[..., ModuleType], lambda_context: object, raw: object, field: str
) -> None:
    app = load_handler("validate_input")
    with pytest.raises(InvalidInput) as raised:
        app.handler({"input": raw, "executionName": "d"}, lambda_context)
    assert raised.value.field == field


def test_a_strategy_the_provider_cannot_serve_is_refused(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    env = {**deployed_env("validate_input"), "MARKET_PROVIDER": "tiingo", "FETCH_STRATEGY": "snapshot"}
    app = load_handler("validate_input", env=env)
    with pytest.raises(UnsupportedStrategy):
        app.handler({"input": {"date": "2026-01-05"}, "executionName": "d"}, lambda_context)


def test_the_watchlist_object_is_read_once_per_container(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given the function as deployed with a 500-ticker watchlist object (the cap)
    app = load_handler("validate_input")
    big = [f"{a}{b}{c}" for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJ" for c in "ABCDE"]
    app._watchlist._s3 = objects = WatchlistObject(big)
    # When two runs without tickers are validated in the same container
    outs = [app.handler({"input": {"date": day}, "executionName": "d"}, lambda_context)
            for day in ("2026-01-05", "2026-01-06")]  # fmt: skip
    # Then both take the 500 tickers, and the object was read once
    assert [o["tickers"] for o in outs] == [big, big] and objects.reads == 1


def test_a_market_run_makes_no_watchlist_read_and_is_validated_by_name(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given the function as deployed, in a fresh container (its watchlist not read yet), counting reads
    app = load_handler("validate_input")
    app._watchlist._s3 = objects = WatchlistObject()
    # When a whole-market run is validated
    out = app.handler(
        {"input": {"date": "2026-01-05", "scope": "market"}, "executionName": "m"}, lambda_context
    )
    # Then it resolves (no tickers, the snapshot) without reading the watchlist it does not use
    assert (out["scope"], out["tickers"], out["strategy"]) == ("market", [], "snapshot")
    # And a bad market input is still refused by name, with no read either
    for raw, field in (
        ({"date": "2026-13-01", "scope": "market"}, "date"),
        ({"scope": "market", "tickers": ["AAPL"]}, "tickers"),
        ({"scope": "market", "force": "yes"}, "force"),
    ):
        with pytest.raises(InvalidInput) as raised:
            app.handler({"input": raw, "executionName": "m"}, lambda_context)
        assert raised.value.field == field
    assert objects.reads == 0
    # And a watchlist run that names its tickers does not read it either; one without tickers does
    named = {"input": {"date": "2026-01-05", "tickers": ["TSLA"]}, "executionName": "d"}
    assert app.handler(named, lambda_context)["tickers"] == ["TSLA"] and objects.reads == 0
    default = app.handler({"input": {"date": "2026-01-05"}, "executionName": "d"}, lambda_context)
    assert default["tickers"] == ["AAPL", "MSFT", "NVDA"] and objects.reads == 1


def test_a_broken_watchlist_object_fails_only_the_runs_that_take_it(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given a watchlist object over the cap (a deployment fault)
    app = load_handler("validate_input")
    app._watchlist._s3 = WatchlistObject(
        [f"{a}{b}{c}" for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJ" for c in "ABCDEF"][:501]
    )
    # Then a market run, which never uses it, still validates
    out = app.handler(
        {"input": {"date": "2026-01-05", "scope": "market"}, "executionName": "m"}, lambda_context
    )
    assert out["scope"] == "market"
    # And a watchlist run without tickers fails with the named InvalidWatchlist
    with pytest.raises(InvalidWatchlist, match="at most 500 symbols, got 501"):
        app.handler({"input": {"date": "2026-01-05"}, "executionName": "d"}, lambda_context)


def test_a_watchlist_object_over_the_cap_is_a_named_error(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given a watchlist object of 501 tickers (one over MAX_WATCHLIST)
    app = load_handler("validate_input")
    app._watchlist._s3 = WatchlistObject(
        [f"{a}{b}{c}" for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJ" for c in "ABCDEF"][:501]
    )
    # Then a run without tickers fails with InvalidWatchlist naming the object and the cap
    with pytest.raises(
        InvalidWatchlist, match=r"config/watchlist.json \(version v1\): at most 500 symbols, got 501"
    ):
        app.handler({"input": {"date": "2026-01-05"}, "executionName": "d"}, lambda_context)


def test_tickers_above_the_cap_are_invalid_input(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("validate_input")
    many = [f"{a}{b}{c}" for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJ" for c in "ABCDEF"][:501]
    with pytest.raises(InvalidInput, match="at most 500 symbols, got 501"):
        app.handler({"input": {"date": "2026-01-05", "tickers": many}, "executionName": "d"}, lambda_context)
    # 500 are taken
    out = app.handler(
        {"input": {"date": "2026-01-05", "tickers": many[:500]}, "executionName": "d"}, lambda_context
    )
    assert len(out["tickers"]) == 500
