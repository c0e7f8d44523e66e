"""The provider interface that handlers code against, and the result every call returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from stock_movers.domain.bars import DailyBar
from stock_movers.providers.errors import (
    MalformedResponse,
    NoData,
    PlanLimitError,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RequestRejected,
)

__all__ = [
    "FETCH_STRATEGIES",
    "Capabilities",
    "FetchResult",
    "MalformedResponse",
    "NoData",
    "PlanLimitError",
    "Provider",
    "ProviderAuthError",
    "ProviderError",
    "ProviderUnavailable",
    "QuotaExhausted",
    "RateLimited",
    "RequestRejected",
]


FETCH_STRATEGIES = ("per_ticker", "snapshot", "push")
"""The daily run's fetch strategies: one call per ticker, one whole-session (grouped daily) call, or the
bars published on the market-data bus with one call per ticker that has none (so `push` is served by every
provider that serves `per_ticker`; docs/push-feed.md)."""


@dataclass(frozen=True)
class Capabilities:
    """What a provider adapter can serve, known without calling it: the one table the run's input
    validation checks (stock_movers.providers.capabilities) and Terraform's plan-time check mirrors
    (`provider_fetch_strategies` in infrastructure/orchestration.tf; a test keeps them equal).

    `strategies`: the FETCH_STRATEGIES it serves (snapshot needs a whole-market daily endpoint).
    `history_sessions`: how many sessions back from the latest completed one its calls reach on the plan
    the adapter uses (None: the adapter sets no limit; the vendor's plan may still refuse with
    PlanLimitError).
    `daily_calls`: the calls a day the vendor's free plan allows (None: no daily quota). A deployment on a
    paid plan overrides it (PROVIDER_DAILY_CALLS, Terraform's `provider_daily_calls`).
    """

    strategies: frozenset[str]
    history_sessions: int | None = None
    daily_calls: int | None = None


@dataclass(frozen=True)
class FetchResult:
    """What one provider operation produced.

    `bars` are sorted by (date, ticker) and carry exact Decimals; `raw_pages` are the response bodies as
    received (decompressed), one per HTTP call, in call order, for storing in S3 as-is. `basis` is the price
    basis the bars are in (domain.splits.BASES: as the provider reported it, else the adapter's `basis`);
    "" when the result does not say (readers then take the provider's `basis`). `otc` names the tickers
    among `bars` the provider marks as traded over the counter (Massive's grouped `"otc": true`).
    """

    provider: str
    bars: tuple[DailyBar, ...]
    raw_pages: tuple[bytes, ...]
    calls: int
    basis: str = ""
    otc: frozenset[str] = frozenset()


@runtime_checkable
class Provider(Protocol):
    """A market-data source of daily bars. Every method raises a ProviderError subclass on failure and
    InvalidInput for a bad ticker, a non-date or start > end."""

    name: str
    capabilities: Capabilities
    basis: str  # the price basis its bars come in: "adjusted" (splits, as of the fetch) or "unadjusted"

    def daily_bar(self, ticker: str, day: dt.date) -> FetchResult:
        """Exactly one bar for `ticker` on session `day` (NoData if there is none)."""
        ...

    def range_bars(self, ticker: str, start: dt.date, end: dt.date) -> FetchResult:
        """Every session bar of `ticker` in [start, end]; empty bars when the span holds none."""
        ...

    def session_bars(self, day: dt.date, tickers: Sequence[str] | None) -> FetchResult:
        """The watchlist's bars for `day` in one call; tickers without a bar are simply absent. `tickers`
        None asks for every row of the session (the whole-market scope). A provider without "snapshot" in
        its capabilities raises UnsupportedStrategy without calling anything."""
        ...
