"""Alpha Vantage TIME_SERIES_DAILY (compact: the latest ~100 sessions; `full` is premium).

Alpha Vantage accepts its key only as the `apikey` query parameter, so this adapter never logs a URL, builds
every error message from the ticker and call name alone, and relies on `_http` to redact urllib3's DEBUG
line. Every vendor error arrives as HTTP 200 with an `Error Message`, `Information` or `Note` body:

- `Information` "... (1 request per second) ..."      -> RateLimited(retry_after=1.0) (checked first: it
  also mentions the daily limit)
- `Information` "... 25 requests per day ..."          -> QuotaExhausted (retry_after None: resets daily)
- `Information` "... is a premium feature ..."         -> PlanLimitError
- `Error Message`/`Information` "apikey is invalid or missing" -> ProviderAuthError
- other `Error Message` (e.g. unknown symbol)           -> NoData
- `Note` (the pre-2024 5-per-minute notice)             -> RateLimited(retry_after=60.0)
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
    load_json,
    number,
)
from stock_movers.providers.base import Capabilities, FetchResult
from stock_movers.providers.errors import (
    MalformedResponse,
    NoData,
    PlanLimitError,
    ProviderAuthError,
    QuotaExhausted,
    RateLimited,
    RequestRejected,
)

DEFAULT_BASE_URL = "https://www.alphavantage.co"
COMPACT_SIZE = 100
FREE_DAILY_CALLS = 25  # "Our standard API rate limit is 25 requests per day" (the free key)
_SERIES = "Time Series (Daily)"
_FIELDS = (("open", "1. open"), ("high", "2. high"), ("low", "3. low"), ("close", "4. close"))


class AlphaVantageProvider(HttpProvider):
    """Alpha Vantage adapter: one TIME_SERIES_DAILY compact call per operation."""

    name = "alphavantage"
    default_base_url = DEFAULT_BASE_URL
    basis = UNADJUSTED  # as traded: the raw series, never the adj* / adjusted one
    capabilities = Capabilities(
        strategies=frozenset({"per_ticker", "push"}),
        history_sessions=COMPACT_SIZE,
        daily_calls=FREE_DAILY_CALLS,
    )

    def daily_bar(self, ticker: str, day: dt.date) -> FetchResult:
        """The bar for `day` from the compact series; NoData if it is absent, PlanLimitError if `day` is
        older than a full (100-session) compact window reaches."""
        ticker, day = check_ticker(ticker), check_day(day)
        body, series = self._series(ticker)
        if day not in series:
            self._check_window(series, day, ticker)
            raise NoData(f"alphavantage {ticker}: no bar for {day}")
        return FetchResult(self.name, (series[day],), (body,), 1, self.basis)

    def range_bars(self, ticker: str, start: dt.date, end: dt.date) -> FetchResult:
        """Bars in [start, end] from the compact series; PlanLimitError if `start` predates a full window."""
        ticker = check_ticker(ticker)
        start, end = check_span(start, end)
        body, series = self._series(ticker)
        self._check_window(series, start, ticker)
        bars = tuple(series[d] for d in sorted(series) if start <= d <= end)
        return FetchResult(self.name, bars, (body,), 1, self.basis)

    def session_bars(self, day: dt.date, tickers: Sequence[str] | None) -> FetchResult:
        """Alpha Vantage has no whole-market daily endpoint: UnsupportedStrategy, before any call."""
        raise UnsupportedStrategy(self.name, "snapshot", self.capabilities.strategies)

    # -- plumbing ----------------------------------------------------------------------------------

    def _check_window(self, series: dict[dt.date, DailyBar], start: dt.date, ticker: str) -> None:
        # A series shorter than the compact size is the symbol's whole history, not a plan cut-off.
        if len(series) >= COMPACT_SIZE and start < min(series):
            raise PlanLimitError(
                f"alphavantage {ticker}: {start} is older than the oldest bar returned ({min(series)}); "
                f"the free compact output covers only the latest ~{COMPACT_SIZE} sessions (full is premium)"
            )

    def _series(self, ticker: str) -> tuple[bytes, dict[dt.date, DailyBar]]:
        label = f"TIME_SERIES_DAILY {ticker}"
        where = f"alphavantage {label}"
        reply = self._http.get(
            self.base_url + "/query",
            label=label,
            params={
                "function": "TIME_SERIES_DAILY",
                "symbol": ticker,
                "outputsize": "compact",
                "apikey": self._key,
            },
        )
        self._http.raise_for_transport(reply, label, "")
        if reply.status != 200:
            raise RequestRejected(f"{where}: HTTP {reply.status}")
        payload = load_json(reply.body, where)
        if not isinstance(payload, dict):
            raise MalformedResponse(f"{where}: body is not an object")
        if _SERIES not in payload:
            self._raise_notice(payload, where)
        return reply.body, self._parse(payload, ticker, where)

    def _raise_notice(self, payload: dict[str, Any], where: str) -> None:
        error, info, note = (payload.get(k) for k in ("Error Message", "Information", "Note"))
        for text in (error, info):
            if isinstance(text, str) and "apikey" in text.lower():
                raise ProviderAuthError(f"{where}: the API key is invalid or missing")
        if isinstance(info, str):
            lower = info.lower()
            detail = self._http.redact(info[:300])
            if "per second" in lower:
                raise RateLimited(f"{where}: burst limit (1 request per second)", retry_after=1.0)
            if "per day" in lower:
                raise QuotaExhausted(f"{where}: daily request quota exhausted: {detail}", retry_after=None)
            if "premium" in lower:
                raise PlanLimitError(f"{where}: {detail}")
            raise RequestRejected(f"{where}: {detail}")
        if isinstance(error, str):
            raise NoData(f"{where}: {self._http.redact(error[:300])}")
        if isinstance(note, str):
            raise RateLimited(f"{where}: {self._http.redact(note[:300])}", retry_after=60.0)
        raise MalformedResponse(f"{where}: no {_SERIES!r} and no error notice")

    @staticmethod
    def _parse(payload: dict[str, Any], ticker: str, where: str) -> dict[dt.date, DailyBar]:
        meta = payload.get("Meta Data")
        symbol = meta.get("2. Symbol") if isinstance(meta, dict) else None
        if symbol is not None and (not isinstance(symbol, str) or symbol.upper() != ticker):
            raise MalformedResponse(f"{where}: series is for symbol {str(symbol)[:12]!r}")
        rows = payload[_SERIES]
        if not isinstance(rows, dict):
            raise MalformedResponse(f"{where}: {_SERIES!r} is not an object")
        series: dict[dt.date, DailyBar] = {}
        for key, row in rows.items():
            day = iso_date(key)
            if day is None:
                raise MalformedResponse(f"{where}: series key {str(key)[:20]!r} is not YYYY-MM-DD")
            if not isinstance(row, dict):
                raise MalformedResponse(f"{where}: {day} is not an object")
            at = f"{where} {day}"
            prices = {name: number(row.get(field), field, at, allow_str=True) for name, field in _FIELDS}
            volume = number(row.get("5. volume"), "5. volume", at, allow_str=True)
            series[day] = DailyBar(ticker=ticker, date=day, volume=volume, **prices)
        return series


def parse_stored_body(body: bytes, ticker: str | None, label: str = "stored body") -> tuple[DailyBar, ...]:
    """Every bar of a raw TIME_SERIES_DAILY body as stored in S3 (no HTTP), oldest first: the restore
    drill's parser. The body is the whole compact series, whatever day or range the run asked for; the
    caller takes the bars it needs. Same parsing as the live adapter; MalformedResponse otherwise."""
    where = f"alphavantage {label}"
    if ticker is None:
        raise MalformedResponse(f"{where}: Alpha Vantage has no whole-session bodies")
    payload = load_json(body, where)
    if not isinstance(payload, dict) or _SERIES not in payload:
        raise MalformedResponse(f"{where}: no {_SERIES!r}")
    series = AlphaVantageProvider._parse(payload, ticker, where)
    return tuple(series[d] for d in sorted(series))
