"""Typed settings read from environment variables, validated once, with errors naming the variable."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed (a deployment error, not bad input)."""


def _get(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or value == "":
        if default is not None:
            return default
        raise SettingsError(f"environment variable {name} is required")
    return value


def _number(name: str, default: str, kind: type[int] | type[float]) -> float:
    raw = _get(name, default)
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"environment variable {name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"environment variable {name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    table_name: str
    control_table_name: str
    bucket_name: str
    provider: str
    provider_base_url: str | None
    api_key_secret_arn: str
    rate_limit_calls: int
    rate_limit_period_seconds: float
    rate_limit_max_wait_seconds: float
    rate_limit_allowance_seconds: float
    rate_limit_wait_budget_seconds: float
    watchlist: tuple[str, ...]


@lru_cache(maxsize=1)
def pipeline_settings() -> Settings:
    """Settings of the pipeline functions (fetch, store)."""
    return Settings(
        table_name=_get("TABLE_NAME"),
        control_table_name=_get("CONTROL_TABLE_NAME"),
        bucket_name=_get("BUCKET_NAME"),
        provider=market_provider(),
        provider_base_url=os.environ.get("PROVIDER_BASE_URL") or None,
        api_key_secret_arn=_get("API_KEY_SECRET_ARN"),
        rate_limit_calls=int(_number("RATE_LIMIT_CALLS", "5", int)),
        rate_limit_period_seconds=_number("RATE_LIMIT_PERIOD_SECONDS", "60", float),
        rate_limit_max_wait_seconds=_number("RATE_LIMIT_MAX_WAIT_SECONDS", "20", float),
        rate_limit_allowance_seconds=_number("RATE_LIMIT_ALLOWANCE_SECONDS", "0.5", float),
        rate_limit_wait_budget_seconds=_number("RATE_LIMIT_WAIT_BUDGET_SECONDS", "1800", float),
        watchlist=watchlist(),
    )


def watchlist() -> tuple[str, ...]:
    """Default tickers from WATCHLIST (comma-separated)."""
    return tuple(
        t.strip() for t in _get("WATCHLIST", "AAPL,MSFT,GOOGL,AMZN,TSLA,NVDA").split(",") if t.strip()
    )


def market_provider() -> str:
    """The configured market-data provider (MARKET_PROVIDER, default massive)."""
    return _get("MARKET_PROVIDER", "massive")


def fetch_strategy() -> str:
    """The daily run's fetch strategy (FETCH_STRATEGY, default per_ticker)."""
    return _get("FETCH_STRATEGY", "per_ticker")


def board_size() -> int:
    """How many gainers and losers a stored day's board keeps (BOARD_SIZE, default 10, 1-50)."""
    from stock_movers.domain.errors import InvalidInput
    from stock_movers.domain.leaders import BOARD_DEFAULT
    from stock_movers.domain.leaders import board_size as checked

    raw = _get("BOARD_SIZE", str(BOARD_DEFAULT))
    try:
        return checked(int(raw) if raw.isascii() and raw.isdigit() else raw, "BOARD_SIZE")
    except InvalidInput as exc:
        raise SettingsError(f"environment variable {exc}") from None
