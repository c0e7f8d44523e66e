"""Tiingo end-of-day prices: `GET /tiingo/daily/{T}/prices?startDate=&endDate=` with `Authorization: Token`.

The raw (as-traded) open/high/low/close/volume are used, never the `adj*` columns. `date` is the session
date rendered as midnight UTC, so its first 10 characters are the session date (no time-zone conversion).
Tiingo spells share classes with a dash (BRK-B); bars keep the project's symbol (BRK.B).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import UnsupportedStrategy
from stock_movers.domain.splits import UNADJUSTED
from stock_movers.providers._http import (
    HttpProvider,
    check_day,
    check_span,
    check_ticker,
    iso_date,
    lenient_json,
    load_json,
    message_of,
    number,
)
from stock_movers.providers.base import Capabilities, FetchResult
from stock_movers.providers.errors import (
    MalformedResponse,
    NoData,
    ProviderAuthError,
    QuotaExhausted,
    RateLimited,
    RequestRejected,
)

DEFAULT_BASE_URL = "https://api.tiingo.com"
FREE_DAILY_CALLS = 1000  # the free plan: about 50 requests an hour and 1,000 a day


class TiingoProvider(HttpProvider):
    """Tiingo adapter: one prices call per operation."""

    name = "tiingo"
    default_base_url = DEFAULT_BASE_URL
    basis = UNADJUSTED  # as traded: the raw series, never the adj* / adjusted one
    capabilities = Capabilities(strategies=frozenset({"per_ticker", "push"}), daily_calls=FREE_DAILY_CALLS)

    def daily_bar(self, ticker: str, day: dt.date) -> FetchResult:
        """startDate = endDate = `day`; exactly one bar dated `day`, NoData when empty."""
        ticker, day = check_ticker(ticker), check_day(day)
        body, bars = self._prices(ticker, day, day)
        if not bars:
            raise NoData(f"tiingo {ticker} {day}: no bar (not a session, or no trades)")
        return FetchResult(self.name, bars, (body,), 1, self.basis)

    def range_bars(self, ticker: str, start: dt.date, end: dt.date) -> FetchResult:
        """Every bar in [start, end] in one call, sorted by date; empty when none."""
        ticker = check_ticker(ticker)
        start, end = check_span(start, end)
        body, bars = self._prices(ticker, start, end)
        return FetchResult(self.name, bars, (body,), 1, self.basis)

    def session_bars(self, day: dt.date, tickers: Sequence[str] | None) -> FetchResult:
        """Tiingo has no whole-market daily endpoint: UnsupportedStrategy, before any call."""
        raise UnsupportedStrategy(self.name, "snapshot", self.capabilities.strategies)

    def _prices(self, ticker: str, start: dt.date, end: dt.date) -> tuple[bytes, tuple[DailyBar, ...]]:
        label = f"prices {ticker} {start}..{end}"
        where = f"tiingo {label}"
        reply = self._http.get(
            f"{self.base_url}/tiingo/daily/{ticker.replace('.', '-')}/prices",
            label=label,
            params={"startDate": start.isoformat(), "endDate": end.isoformat()},
            headers={"Authorization": f"Token {self._key}", "Accept": "application/json"},
        )
        if reply.status != 200:
            detail = self._http.redact(message_of(lenient_json(reply.body)))
            if reply.status == 429 and "daily" in detail.lower():
                raise QuotaExhausted(f"{where}: HTTP 429 {detail}", retry_after=None)
            self._http.raise_for_transport(reply, label, detail)
            if reply.status in (401, 403):
                raise ProviderAuthError(f"{where}: HTTP {reply.status} {detail}".rstrip())
            if reply.status == 404:
                raise NoData(f"{where}: HTTP 404 {detail}".rstrip())
            raise RequestRejected(f"{where}: HTTP {reply.status} {detail}".rstrip())
        payload = load_json(reply.body, where)
        if isinstance(payload, dict) and isinstance(payload.get("detail"), str):
            # Tiingo reports some refusals as a 200 {"detail": ...}; never treat them as data.
            detail = self._http.redact(payload["detail"][:300])
            if "daily" in detail.lower():
                raise QuotaExhausted(f"{where}: {detail}", retry_after=None)
            if "allocation" in detail.lower():
                raise RateLimited(f"{where}: {detail}", retry_after=None)
            raise RequestRejected(f"{where}: {detail}")
        if not isinstance(payload, list):
            raise MalformedResponse(f"{where}: body is not a list")
        bars: dict[dt.date, DailyBar] = {}
        for row in payload:
            bar = _bar(row, ticker, where)
            if not start <= bar.date <= end:
                raise MalformedResponse(f"{where}: bar for {bar.date} is outside the request")
            if bar.date in bars:
                raise MalformedResponse(f"{where}: two bars for {bar.date}")
            bars[bar.date] = bar
        return reply.body, tuple(bars[d] for d in sorted(bars))


def _bar(row: Any, ticker: str, where: str) -> DailyBar:
    if not isinstance(row, dict):
        raise MalformedResponse(f"{where}: a row is not an object")
    raw_date = row.get("date")
    day = iso_date(raw_date[:10]) if isinstance(raw_date, str) else None
    if day is None:
        raise MalformedResponse(f"{where}: a row's 'date' is missing or not a date")
    at = f"{where} {day}"
    return DailyBar(
        ticker=ticker,
        date=day,
        open=number(row.get("open"), "open", at),
        high=number(row.get("high"), "high", at),
        low=number(row.get("low"), "low", at),
        close=number(row.get("close"), "close", at),
        volume=number(row.get("volume"), "volume", at),
    )


def parse_stored_body(body: bytes, ticker: str | None, label: str = "stored body") -> tuple[DailyBar, ...]:
    """The bars of a raw prices body as stored in S3 (no HTTP): the restore drill's parser. Same row
    parsing as the live adapter, one bar per date; MalformedResponse on a body it cannot read."""
    where = f"tiingo {label}"
    if ticker is None:
        raise MalformedResponse(f"{where}: Tiingo has no whole-session bodies")
    payload = load_json(body, where)
    if not isinstance(payload, list):
        raise MalformedResponse(f"{where}: body is not a list")
    bars = [_bar(row, ticker, where) for row in payload]
    if len({b.date for b in bars}) != len(bars):
        raise MalformedResponse(f"{where}: two bars for one date")
    return tuple(sorted(bars, key=lambda b: b.date))
