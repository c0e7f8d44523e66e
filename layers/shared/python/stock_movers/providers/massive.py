"""Massive (formerly Polygon.io) daily aggregates, or any server that speaks the same API at `base_url`.

Auth is `Authorization: Bearer <key>`; the key is never put in a URL, including `next_url` pages. Session
dates come from `t` (Unix ms) converted to America/New_York: range bars stamp 00:00 ET and grouped/prev
bars 16:00 ET, and both give the session date that way.

Date checks: `daily_bar` and `open_close` raise NoData when the response holds no bar and MalformedResponse
when it holds a bar for any other date (the server answered a different question). `range_bars` raises
MalformedResponse for a bar outside [start, end]; `session_bars` for a requested ticker's row on another date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.splits import ADJUSTED, UNADJUSTED, InvalidSplit, Split, parse_split
from stock_movers.providers._http import (
    HttpProvider,
    Reply,
    check_day,
    check_span,
    check_ticker,
    check_watchlist,
    lenient_json,
    load_json,
    message_of,
    number,
)
from stock_movers.providers.base import FETCH_STRATEGIES, Capabilities, FetchResult
from stock_movers.providers.errors import (
    MalformedResponse,
    NoData,
    PlanLimitError,
    ProviderAuthError,
    RequestRejected,
)

DEFAULT_BASE_URL = "https://api.massive.com"
MAX_PAGES = 100  # 100 pages x 50,000 bars is far beyond any daily range; more means a cursor loop


class MassiveProvider(HttpProvider):
    """Massive aggregates adapter. All calls share one requests.Session."""

    name = "massive"
    default_base_url = DEFAULT_BASE_URL
    basis = ADJUSTED  # every call asks adjusted=true (Massive's default); the body's `adjusted` is checked
    capabilities = Capabilities(strategies=frozenset(FETCH_STRATEGIES))

    # -- public operations -------------------------------------------------------------------------

    def daily_bar(self, ticker: str, day: dt.date) -> FetchResult:
        """One call: `range/1/day/{day}/{day}`; exactly one bar dated `day`, else NoData/MalformedResponse."""
        ticker, day = check_ticker(ticker), check_day(day)
        label = f"range {ticker} {day}"
        reply, payload = self._call(f"/v2/aggs/ticker/{ticker}/range/1/day/{day}/{day}", label, _RANGE_PARAMS)
        bars = self._bars(payload, label, ticker=ticker)
        basis = _basis(payload, label)
        return FetchResult(self.name, (_only(bars, day, label),), (reply.body,), 1, basis)

    def range_bars(self, ticker: str, start: dt.date, end: dt.date) -> FetchResult:
        """`range/1/day/{start}/{end}` following `next_url`; bars sorted by date, empty when none."""
        ticker = check_ticker(ticker)
        start, end = check_span(start, end)
        label = f"range {ticker} {start}..{end}"
        url: str | None = self.base_url + f"/v2/aggs/ticker/{ticker}/range/1/day/{start}/{end}"
        params: dict[str, str] | None = _RANGE_PARAMS
        pages: list[bytes] = []
        bars: dict[dt.date, DailyBar] = {}
        seen_urls: set[str] = set()
        bases: set[str] = set()
        while url is not None:
            if len(pages) >= MAX_PAGES:
                raise MalformedResponse(f"massive {label}: more than {MAX_PAGES} pages")
            reply, payload = self._get(url, label, params)
            pages.append(reply.body)
            bases.add(_basis(payload, label))
            for bar in self._bars(payload, label, ticker=ticker):
                if not start <= bar.date <= end:
                    raise MalformedResponse(f"massive {label}: bar for {bar.date} is outside the range")
                if bar.date in bars:
                    raise MalformedResponse(f"massive {label}: two bars for {bar.date}")
                bars[bar.date] = bar
            url, params = self._next_page(payload, label), None
            if url is not None:
                if url in seen_urls:
                    raise MalformedResponse(f"massive {label}: next_url repeats a page")
                seen_urls.add(url)
        if len(bases) > 1:
            raise MalformedResponse(f"massive {label}: pages disagree on 'adjusted'")
        basis = bases.pop() if bases else self.basis
        return FetchResult(self.name, tuple(bars[d] for d in sorted(bars)), tuple(pages), len(pages), basis)

    def session_bars(self, day: dt.date, tickers: Sequence[str] | None) -> FetchResult:
        """One grouped-daily call for every US stock on `day`, filtered to `tickers` (None: every row, for
        the whole-market scope; each row is then parsed and must be for `day`).

        Requested tickers absent from the snapshot are simply not in the result (the caller decides);
        a non-session gives an empty result. Rows marked `"otc": true` are named in the result's `otc`.
        """
        day = check_day(day)
        wanted = None if tickers is None else set(check_watchlist(tickers))
        label = f"grouped {day}"
        reply, payload = self._call(
            f"/v2/aggs/grouped/locale/us/market/stocks/{day}", label, {"adjusted": "true"}
        )
        rows = _results(payload, label)
        found: dict[str, DailyBar] = {}
        otc: set[str] = set()
        for row in rows:
            symbol = row.get("T")
            if not isinstance(symbol, str) or not symbol:
                raise MalformedResponse(f"massive {label}: a row has no ticker 'T'")
            if wanted is not None and symbol not in wanted:
                continue
            if symbol in found:
                raise MalformedResponse(f"massive {label}: two rows for {symbol[:12]}")
            bar = _bar(row, symbol, f"massive {label} {symbol[:12]}")
            if bar.date != day:
                raise MalformedResponse(f"massive {label}: {symbol[:12]} row is for {bar.date}")
            found[symbol] = bar
            if row.get("otc") is True:
                otc.add(symbol)
        basis = _basis(payload, label)
        bars = tuple(found[t] for t in sorted(found))
        return FetchResult(self.name, bars, (reply.body,), 1, basis, otc=frozenset(otc))

    def previous_close(self, ticker: str) -> FetchResult:
        """`/v2/aggs/ticker/{T}/prev`: the session before *now* (not idempotent; not for scheduled runs)."""
        ticker = check_ticker(ticker)
        label = f"prev {ticker}"
        reply, payload = self._call(f"/v2/aggs/ticker/{ticker}/prev", label, {"adjusted": "true"})
        bars = self._bars(payload, label, ticker=ticker)
        if not bars:
            raise NoData(f"massive {label}: no previous close")
        if len(bars) != 1:
            raise MalformedResponse(f"massive {label}: expected one bar, got {len(bars)}")
        return FetchResult(self.name, bars, (reply.body,), 1, _basis(payload, label))

    def open_close(self, ticker: str, day: dt.date) -> FetchResult:
        """`/v1/open-close/{T}/{day}`: one bar from the flat daily open/close object (404 -> NoData)."""
        ticker, day = check_ticker(ticker), check_day(day)
        label = f"open-close {ticker} {day}"
        reply, payload = self._call(f"/v1/open-close/{ticker}/{day}", label, {"adjusted": "true"})
        where = f"massive {label}"
        if not isinstance(payload, dict):
            raise MalformedResponse(f"{where}: body is not an object")
        if payload.get("from") != day.isoformat():
            raise MalformedResponse(f"{where}: body is for {str(payload.get('from'))[:20]!r}")
        symbol = payload.get("symbol", ticker)
        if symbol != ticker:
            raise MalformedResponse(f"{where}: body is for symbol {str(symbol)[:12]!r}")
        bar = DailyBar(
            ticker=ticker,
            date=day,
            open=number(payload.get("open"), "open", where),
            high=number(payload.get("high"), "high", where),
            low=number(payload.get("low"), "low", where),
            close=number(payload.get("close"), "close", where),
            volume=number(payload.get("volume"), "volume", where),
        )
        # the open/close body has no `adjusted` field: it is in the basis asked for
        return FetchResult(self.name, (bar,), (reply.body,), 1, self.basis)

    def splits(self, start: dt.date, end: dt.date, tickers: Sequence[str]) -> SplitsResult:
        """`/v3/reference/splits` for executions in [start, end], following `next_url`: the splits of
        `tickers` (other symbols' rows are dropped), sorted by (date, ticker). One ticker asks with
        `ticker=`; a watchlist asks for the whole market's splits of the span (one call, not one per
        ticker: splits are rare). InvalidSplit for a watchlist row that cannot be used."""
        start, end = check_span(start, end)
        wanted = check_watchlist(tickers)
        label = f"splits {start}..{end}"
        params: dict[str, str] | None = {
            "execution_date.gte": start.isoformat(),
            "execution_date.lte": end.isoformat(),
            "order": "asc",
            "sort": "execution_date",
            "limit": "1000",
        }
        if len(wanted) == 1 and params is not None:
            params["ticker"] = wanted[0]
        url: str | None = self.base_url + "/v3/reference/splits"
        pages: list[bytes] = []
        found: dict[tuple[str, dt.date], Split] = {}
        seen_urls: set[str] = set()
        while url is not None:
            if len(pages) >= MAX_PAGES:
                raise MalformedResponse(f"massive {label}: more than {MAX_PAGES} pages")
            reply, payload = self._get(url, label, params)
            pages.append(reply.body)
            for row in _results(payload, label):
                symbol = row.get("ticker")
                if symbol not in wanted:
                    continue
                split = parse_split(symbol, row.get("execution_date"), row.get("split_from"),
                                    row.get("split_to"))  # fmt: skip
                if not start <= split.date <= end:
                    raise MalformedResponse(f"massive {label}: a split on {split.date} is outside the span")
                if found.get((split.ticker, split.date), split) != split:
                    raise InvalidSplit(split.ticker, f"two different splits on {split.date}")
                found[(split.ticker, split.date)] = split
            url, params = self._next_page(payload, label), None
            if url is not None:
                if url in seen_urls:
                    raise MalformedResponse(f"massive {label}: next_url repeats a page")
                seen_urls.add(url)
        ordered = tuple(found[k] for k in sorted(found, key=lambda k: (k[1], k[0])))
        return SplitsResult(self.name, ordered, tuple(pages), len(pages))

    # -- plumbing ----------------------------------------------------------------------------------

    def _call(self, path: str, label: str, params: dict[str, str]) -> tuple[Reply, Any]:
        return self._get(self.base_url + path, label, params)

    def _get(self, url: str, label: str, params: dict[str, str] | None) -> tuple[Reply, Any]:
        reply = self._http.get(
            url, label=label, params=params, headers={"Authorization": f"Bearer {self._key}"}
        )
        where = f"massive {label}"
        if reply.status == 200:
            return reply, load_json(reply.body, where)
        payload = lenient_json(reply.body)
        detail = self._http.redact(message_of(payload))
        status = payload.get("status") if isinstance(payload, dict) else None
        self._http.raise_for_transport(reply, label, detail)
        if reply.status == 401 or (reply.status == 400 and "api key" in detail.lower()):
            raise ProviderAuthError(f"{where}: HTTP {reply.status} {detail}".rstrip())
        if reply.status == 403:
            if status == "NOT_AUTHORIZED":
                raise PlanLimitError(f"{where}: {detail}")
            raise ProviderAuthError(f"{where}: HTTP 403 {detail}".rstrip())
        if reply.status == 404:
            raise NoData(f"{where}: HTTP 404 {detail}".rstrip())
        raise RequestRejected(f"{where}: HTTP {reply.status} {detail}".rstrip())

    def _bars(self, payload: Any, label: str, *, ticker: str) -> tuple[DailyBar, ...]:
        return tuple(_bar(row, ticker, f"massive {label}") for row in _results(payload, label))

    def _next_page(self, payload: Any, label: str) -> str | None:
        """The next page's URL, pinned to our base URL's origin so the Bearer key never goes elsewhere."""
        next_url = payload.get("next_url") if isinstance(payload, dict) else None
        if next_url is None:
            return None
        if not isinstance(next_url, str) or not next_url:
            raise MalformedResponse(f"massive {label}: next_url is not a URL")
        parts, base = urlsplit(next_url), urlsplit(self.base_url)
        if not parts.path.startswith("/"):
            raise MalformedResponse(f"massive {label}: next_url is not absolute")
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))


_RANGE_PARAMS = {"adjusted": "true", "sort": "asc", "limit": "50000"}


@dataclass(frozen=True)
class SplitsResult:
    """What a splits call produced: the watchlist's split events and the raw pages (stored as-is)."""

    provider: str
    splits: tuple[Split, ...]
    raw_pages: tuple[bytes, ...]
    calls: int


def _basis(payload: Any, label: str) -> str:
    """The basis a bars body says it is in: its `adjusted` flag (absent: the adjusted default we ask for)."""
    flag = payload.get("adjusted", True) if isinstance(payload, dict) else True
    if not isinstance(flag, bool):
        raise MalformedResponse(f"massive {label}: 'adjusted' is not true or false")
    return ADJUSTED if flag else UNADJUSTED


def _results(payload: Any, label: str) -> list[dict[str, Any]]:
    """`results` as a list of objects; missing, null and [] all mean "no bars" (all three occur)."""
    if not isinstance(payload, dict):
        raise MalformedResponse(f"massive {label}: body is not an object")
    rows = payload.get("results")
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise MalformedResponse(f"massive {label}: results is not a list of objects")
    return rows


def _session_date(value: object, where: str) -> dt.date:
    ms = number(value, "t", where)
    if ms != ms.to_integral_value():
        raise MalformedResponse(f"{where}: field 't' is not whole milliseconds")
    try:
        return dt.datetime.fromtimestamp(int(ms) / 1000, tz=NEW_YORK).date()
    except (OverflowError, OSError, ValueError):
        raise MalformedResponse(f"{where}: field 't' is not a valid timestamp") from None


def _bar(row: dict[str, Any], ticker: str, where: str) -> DailyBar:
    return DailyBar(
        ticker=ticker,
        date=_session_date(row.get("t"), where),
        open=number(row.get("o"), "o", where),
        high=number(row.get("h"), "h", where),
        low=number(row.get("l"), "l", where),
        close=number(row.get("c"), "c", where),
        volume=number(row.get("v"), "v", where),
    )


def _only(bars: tuple[DailyBar, ...], day: dt.date, label: str) -> DailyBar:
    if not bars:
        raise NoData(f"massive {label}: no bar (not a session, or no trades)")
    if len(bars) != 1 or bars[0].date != day:
        dates = ", ".join(sorted({b.date.isoformat() for b in bars}))
        raise MalformedResponse(f"massive {label}: expected one bar for {day}, got bars for {dates}")
    return bars[0]


def parse_stored_body(
    body: bytes, ticker: str | None = None, label: str = "stored body"
) -> tuple[DailyBar, ...]:
    """Bars from a raw Massive body as stored in S3 (no HTTP): the restore drill's parser.

    With `ticker`, `body` is an aggregates-range page (daily or backfill range) and every row is that
    ticker's; without, it is a grouped-daily body and each row names its ticker in `T`. Same field
    parsing and session-date rules as the live adapter; MalformedResponse on a body it cannot read.
    """
    payload = load_json(body, f"massive {label}")
    if ticker is not None:
        return tuple(_bar(row, ticker, f"massive {label}") for row in _results(payload, label))
    bars = []
    for row in _results(payload, label):
        symbol = row.get("T")
        if not isinstance(symbol, str):
            raise MalformedResponse(f"massive {label}: a row has no ticker 'T'")
        bars.append(_bar(row, symbol, f"massive {label} {symbol}"))
    return tuple(bars)
