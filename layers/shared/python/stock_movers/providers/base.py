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


@dataclass(frozen=True)
class FetchResult:
    """What one provider operation produced.

    `bars` are sorted by (date, ticker) and carry exact Decimals; `raw_pages` are the response bodies as
    received (decompressed), one per HTTP call, in call order, for storing in S3 as-is.
    """

    provider: str
    bars: tuple[DailyBar, ...]
    raw_pages: tuple[bytes, ...]
    calls: int


@runtime_checkable
class Provider(Protocol):
    """A market-data source of daily bars. Every method raises a ProviderError subclass on failure and
    InvalidInput for a bad ticker, a non-date or start > end."""

    name: str
    supports_session_snapshot: bool

    def daily_bar(self, ticker: str, day: dt.date) -> FetchResult:
        """Exactly one bar for `ticker` on session `day` (NoData if there is none)."""
        ...

    def range_bars(self, ticker: str, start: dt.date, end: dt.date) -> FetchResult:
        """Every session bar of `ticker` in [start, end]; empty bars when the span holds none."""
        ...

    def session_bars(self, day: dt.date, tickers: Sequence[str]) -> FetchResult:
        """The watchlist's bars for `day` in one call; tickers without a bar are simply absent."""
        ...
