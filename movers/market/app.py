"""Request handling of the local Massive-compatible server, independent of any socket.

`MarketApp.handle(Request) -> Response` implements the four daily-bar endpoints of Massive's REST API
(aggregates range, grouped daily, previous close, daily open/close) over a `Dataset`, with Massive's auth,
plan-depth (403), rate-limit (429) and not-found behaviour and the same JSON shapes, plus the admin
endpoints (`/_admin/...`, no key, not counted) and fault injection. `server.py` puts it on HTTP. Alpha
Vantage's `/query` and Tiingo's `/tiingo/...` paths go to `vendors.VendorApis` (same dataset and stats).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from stock_movers.domain.calendar import NEW_YORK, latest_completed_session

from .dataset import SPLITS, SYNTHETIC, Bar, BarSource, SplitEvent, as_served, volume_json
from .faults import FaultConfig, FaultConfigError, FaultInjector
from .ratelimit import RateLimiter, validate_rate_limit
from .revisions import RevisionError, Revisions
from .universe import Universe
from .vendors import VendorApis, plan_from_json

DEFAULT_LIMIT = 5000
MAX_LIMIT = 50_000
DAY_MS = 86_400_000
PRICING_URL = "https://massive.com/pricing"
MSG_NO_KEY = "API Key was not provided"
MSG_BAD_KEY = "Unknown API Key"
MSG_RATE = (
    "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to "
    f"continue. {PRICING_URL}"
)
MSG_PLAN = f"Your plan doesn't include this data timeframe. Please upgrade your plan at {PRICING_URL}"
MSG_NOT_FOUND = "Data not found."
_SERVER_ERRORS = {
    "500": (500, "Internal server error"),
    "502": (502, "Bad gateway"),
    "503": (503, "Service unavailable, please try again later"),
}


# ---------------------------------------------------------------------------------------------------------
# Time conventions (Massive: range t = 00:00 America/New_York, grouped/prev t = 16:00 America/New_York)


def ny_ms(day: dt.date, hour: int = 0) -> int:
    """Unix ms of `hour`:00 America/New_York on `day`."""
    return int(dt.datetime.combine(day, dt.time(hour), NEW_YORK).timestamp()) * 1000


def session_start_ms(day: dt.date) -> int:
    """`t` of a range (aggregates) daily bar: the start of the session's day in New York."""
    return ny_ms(day, 0)


def session_close_ms(day: dt.date) -> int:
    """`t` of a grouped-daily or previous-close bar: the 16:00 New York close."""
    return ny_ms(day, 16)


def ms_to_session_date(ms: int) -> dt.date:
    """The New York calendar date of a Massive `t` (works for both conventions)."""
    return dt.datetime.fromtimestamp(ms / 1000, NEW_YORK).date()


class BadParameter(ValueError):
    """A request parameter that cannot be parsed; the message is sent to the client."""


def parse_day(text: str, name: str, *, upper_bound: bool = False) -> dt.date:
    """Parse a `from`/`to`/`date` path value: YYYY-MM-DD, or a Unix ms timestamp.

    A timestamp bound is turned into the sessions whose range `t` (00:00 New York) lies inside it: a lower
    bound rounds up to the next midnight unless it is one, an upper bound takes its own date.
    """
    if text.isdigit():
        ms = int(text)
        try:
            local = dt.datetime.fromtimestamp(ms / 1000, NEW_YORK)
        except (OverflowError, OSError, ValueError):
            raise BadParameter(_time_error(name)) from None
        day = local.date()
        if not upper_bound and local.timetz().replace(tzinfo=None) != dt.time(0):
            day += dt.timedelta(days=1)
        return day
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadParameter(_time_error(name)) from None


def _time_error(name: str) -> str:
    return f"Could not parse the time parameter: '{name}'. Use YYYY-MM-DD or Unix MS Timestamps"


def _num(value: Decimal) -> float:
    return float(value)


def _vwap(bar: Bar) -> float:
    # A typical-price stand-in: the dataset has no trades, and clients treat vw as optional anyway.
    return float(((bar.high + bar.low + bar.close) / 3).quantize(Decimal("0.0001"), ROUND_HALF_EVEN))


def bar_json(bar: Bar, t: int, *, with_ticker: bool) -> dict[str, Any]:
    """One Massive aggregate result object."""
    out: dict[str, Any] = {}
    if with_ticker:
        out["T"] = bar.ticker
    out.update(
        v=volume_json(bar.volume),
        vw=_vwap(bar),
        o=_num(bar.open),
        c=_num(bar.close),
        h=_num(bar.high),
        l=_num(bar.low),
        t=t,
        n=max(1, int(bar.volume) // 150),
    )
    return out


def corrupt(bar: dict[str, Any], mode: str) -> dict[str, Any]:
    """A copy of a bar_json object with its numbers made wrong as `mode` (faults.BAD_NUMBERS) says."""
    out = dict(bar)
    if mode == "huge":
        out["c"] = out["h"] = 1e15
    elif mode == "inverted":
        out["h"], out["l"] = out["l"] - 1.0, out["h"] + 1.0
    elif mode == "negative":
        out["o"], out["l"] = -abs(out["o"]), -abs(out["o"]) - 1.0
    elif mode == "zero_open":
        out["o"] = 0.0
    elif mode == "huge_volume":
        out["v"] = 10**20
    else:
        raise ValueError(f"unknown bad_numbers mode {mode!r}")
    return out


def encode_cursor(offset: int, limit: int, sort: str) -> str:
    raw = urlencode({"offset": offset, "limit": limit, "sort": sort}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int, str]:
    """(offset, limit, sort) from a cursor made by `encode_cursor`; BadParameter otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        fields = {k: v[0] for k, v in parse_qs(raw, strict_parsing=True).items()}
        offset, limit, sort = int(fields["offset"]), int(fields["limit"]), fields["sort"]
    except (binascii.Error, UnicodeDecodeError, ValueError, KeyError):
        raise BadParameter("Invalid cursor") from None
    if offset < 0 or not 1 <= limit <= MAX_LIMIT or sort not in ("asc", "desc"):
        raise BadParameter("Invalid cursor")
    return offset, limit, sort


# ---------------------------------------------------------------------------------------------------------
# Request / response


@dataclass(frozen=True)
class Request:
    """A parsed HTTP request; header names lower-case."""

    method: str
    path: str
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    base_url: str = "http://127.0.0.1"

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def json_response(status: int, obj: object) -> Response:
    return Response(status, _dumps(obj))


@dataclass(frozen=True)
class Route:
    endpoint: str  # one of faults.ENDPOINTS
    ticker: str | None
    params: tuple[str, ...]

    def span(self) -> tuple[dt.date, dt.date] | None:
        """The first and last day the request asks for (None for prev, or when they do not parse)."""
        try:
            if self.endpoint == "range":
                return parse_day(self.params[2], "from"), parse_day(self.params[3], "to", upper_bound=True)
            if self.endpoint in ("grouped", "open_close"):
                day = parse_day(self.params[-1], "date")
                return day, day
        except BadParameter:
            return None
        return None


def route(path: str) -> Route | None:
    """Match a data path to its endpoint, or None."""
    parts = [p for p in path.split("/") if p]
    match parts:
        case ["v2", "aggs", "ticker", ticker, "range", mult, span, start, end]:
            return Route("range", ticker, (mult, span, start, end))
        case ["v2", "aggs", "grouped", "locale", "us", "market", "stocks", day]:
            return Route("grouped", None, (day,))
        case ["v2", "aggs", "ticker", ticker, "prev"]:
            return Route("prev", ticker, ())
        case ["v1", "open-close", ticker, day]:
            return Route("open_close", ticker, (day,))
        case ["v3", "reference", "splits"]:
            return Route("splits", None, ())
    return None


def peak_in_window(times: Iterable[float], window: float) -> int:
    """The most calls that any window of `window` seconds holds (half-open, as a provider counts)."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, t in enumerate(ordered):
        while ordered[first] <= t - window:
            first += 1
        best = max(best, last - first + 1)
    return best


class Stats:
    """Counters of data requests served, and their arrival times (thread-safe)."""

    MAX_ARRIVALS = 100_000

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._endpoint: Counter[str] = Counter()
            self._status: Counter[str] = Counter()
            self._ticker: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            # [monotonic arrival, status] of every data request, answered or refused (the last MAX_ARRIVALS);
            # the status is None while the request is still being served
            self._arrivals: deque[list[Any]] = deque(maxlen=self.MAX_ARRIVALS)

    def arrive(self) -> list[Any]:
        """Count one data request's arrival now (a provider counts a call when it arrives, so a request held
        for seconds is in the arrivals at once); pass the returned slot to :meth:`record`."""
        slot: list[Any] = [self._monotonic(), None]
        with self._lock:
            self._arrivals.append(slot)
        return slot

    def record(
        self, endpoint: str, status: int, ticker: str | None, fault: str | None, slot: list[Any] | None = None
    ) -> None:
        """Count one data request's answer; `slot` is its :meth:`arrive` (default: it arrives now)."""
        slot = self.arrive() if slot is None else slot
        with self._lock:
            slot[1] = status
            self._total += 1
            self._endpoint[endpoint] += 1
            self._status[str(status)] += 1
            if ticker:
                self._ticker[ticker] += 1
            if fault and fault != "ok":
                self._faults[fault] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "rate_limited": self._status.get("429", 0),
                "by_endpoint": dict(sorted(self._endpoint.items())),
                "by_status": dict(sorted(self._status.items())),
                "by_ticker": dict(sorted(self._ticker.items())),
                "faults_injected": dict(sorted(self._faults.items())),
            }

    def arrivals(self) -> list[tuple[float, int | None]]:
        """(monotonic arrival time, HTTP status) of every data request since the last reset, oldest first;
        the status is None while a request is still being served."""
        with self._lock:
            return [(t, status) for t, status in self._arrivals]

    def peak(self, window: float) -> int:
        """The most data requests that arrived within any `window` seconds since the last reset (429s
        too, as a provider counting calls per window sees them)."""
        if not window > 0:
            raise ValueError("window must be positive")
        return peak_in_window((t for t, _ in self.arrivals()), window)


Clock = Callable[[], dt.datetime]


def default_now(dataset: BarSource) -> dt.datetime:
    """Evening (20:00 New York) of the dataset's last session, so "prev" is that session."""
    return dt.datetime.combine(dataset.last_session, dt.time(20), NEW_YORK)


class MarketApp:
    """The server's behaviour as a function of requests; all state guarded for threaded use."""

    def __init__(
        self,
        dataset: BarSource,
        *,
        api_keys: Iterable[str] | None = ("local-key",),
        rate_limit: tuple[int, float] | None = (5, 60.0),
        faults: FaultConfig | None = None,
        history_days: int | None = None,
        now: dt.datetime | Clock | None = None,
        max_limit: int = MAX_LIMIT,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        alphavantage_plan: Mapping[str, tuple[int, float]] | None = None,
        tiingo_plan: Mapping[str, tuple[int, float]] | None = None,
        splits: Iterable[SplitEvent] | None = None,
    ) -> None:
        self.dataset = dataset
        # Split events (dataset.SPLITS for the SYNTHETIC data, none for another CSV unless given): served by
        # /v3/reference/splits once executed, and the basis of every bar answer (`_served`).
        if splits is None:
            splits = SPLITS if tuple(dataset.sources) == (SYNTHETIC,) else ()
        self.splits: tuple[SplitEvent, ...] = tuple(s for s in splits if s.ticker in dataset.tickers)
        self._keys = None if api_keys is None else frozenset(api_keys)
        if self._keys is not None and (not self._keys or any(not k for k in self._keys)):
            raise ValueError("api_keys must be non-empty strings (or None to disable auth)")
        self._monotonic = monotonic
        self.limiter = RateLimiter(rate_limit, monotonic)
        self.faults = FaultInjector(faults)
        self.revisions = Revisions()  # post-close corrections (revisions.py), empty until configured
        if history_days is not None and history_days < 1:
            raise ValueError("history_days must be >= 1 or None")
        self.history_days = history_days
        if not 1 <= max_limit <= MAX_LIMIT:
            raise ValueError(f"max_limit must be within 1..{MAX_LIMIT}")
        # Lower than Massive's 50,000 only to make clients exercise next_url pagination in tests.
        self.max_limit = max_limit
        self._sleep = sleep
        self.stats = Stats(monotonic)
        self.set_now(now)
        # Alpha Vantage's and Tiingo's APIs over the same dataset, keys, faults and stats (vendors.py)
        self.vendors = VendorApis(
            self, corrupt, alphavantage_plan=alphavantage_plan, tiingo_plan=tiingo_plan, clock=monotonic
        )

    # -- configuration -----------------------------------------------------------------------------------

    def set_now(self, now: dt.datetime | Clock | None) -> None:
        """Fix the server's "now" (aware datetime or a callable); None means the dataset's last evening."""
        if now is None:
            fixed = default_now(self.dataset)
            self._clock: Clock = lambda: fixed
        elif isinstance(now, dt.datetime):
            if now.tzinfo is None:
                raise ValueError("now must be timezone-aware")
            self._clock = lambda: now
        else:
            self._clock = now

    def now(self) -> dt.datetime:
        return self._clock()

    def set_rate_limit(self, limit: tuple[int, float] | None) -> None:
        """Replace the plan (calls, period_seconds) or None; every key starts with an empty window."""
        self.limiter = RateLimiter(limit, self._monotonic)

    def latest_session(self) -> dt.date:
        """The last session whose data exists "now" (bars after it are not served)."""
        return latest_completed_session(self.now())

    # -- entry point -------------------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        if req.path.startswith("/_admin/"):
            return self._admin(req)
        if self.vendors.owns(req.path):
            return Response(*self.vendors.handle(req))
        arrived = self.stats.arrive()  # a provider counts a call when it arrives, before serving it
        r = route(req.path)
        endpoint = r.endpoint if r else "unknown"
        ticker = r.ticker if r else None
        fault: str | None = None
        response = self._check_access(req)
        if response is None:
            if r is None or req.method not in ("GET", "HEAD"):
                response = self._not_found()
            else:
                fault = self.faults.draw(r.endpoint, r.ticker, r.span())
                response = self._serve(req, r, fault)
        self.stats.record(endpoint, response.status, ticker, fault, arrived)
        return response

    def _check_access(self, req: Request) -> Response | None:
        header = req.headers.get("authorization", "")
        key = header[7:].strip() if header[:7].lower() == "bearer " else ""
        key = key or (req.param("apiKey") or "")
        if self._keys is not None:
            if not key:
                return self._error(401, "ERROR", error=MSG_NO_KEY)
            if key not in self._keys:
                return self._error(401, "ERROR", error=MSG_BAD_KEY)
        if not self.limiter.allow(key):
            return self._error(429, "ERROR", error=MSG_RATE)
        return None

    def _serve(self, req: Request, r: Route, fault: str) -> Response:
        if fault == "429":
            return self._error(429, "ERROR", error=MSG_RATE)
        if fault == "401":
            return self._error(401, "ERROR", error=MSG_BAD_KEY)
        if fault == "403":
            return self._error(403, "NOT_AUTHORIZED", message=MSG_PLAN)
        if fault == "timeout":
            self._sleep(self.faults.config.timeout_ms / 1000)
            return self._error(504, "ERROR", error="Gateway timeout")
        if fault in _SERVER_ERRORS:
            status, text = _SERVER_ERRORS[fault]
            return self._error(status, "ERROR", error=text)
        if fault == "slow":
            self._sleep(self.faults.config.slow_ms / 1000)
        handler = {
            "range": self._range,
            "grouped": self._grouped,
            "prev": self._prev,
            "open_close": self._open_close,
            "splits": self._splits,
        }[r.endpoint]
        try:
            response = handler(req, r, fault)
        except BadParameter as exc:
            return self._error(400, "ERROR", error=str(exc))
        if fault == "malformed" and response.status == 200:
            response.body = response.body[: max(1, len(response.body) // 2)]
        return response

    # -- helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _request_id() -> str:
        return uuid.uuid4().hex

    def _error(
        self, status: int, kind: str, *, error: str | None = None, message: str | None = None
    ) -> Response:
        body: dict[str, Any] = {"status": kind, "request_id": self._request_id()}
        if error is not None:
            body["error"] = error
        if message is not None:
            body["message"] = message
        return json_response(status, body)

    def _not_found(self) -> Response:
        return self._error(404, "NOT_FOUND", message=MSG_NOT_FOUND)

    def _plan_check(self, earliest: dt.date) -> Response | None:
        if self.history_days is None:
            return None
        floor = self.now().astimezone(NEW_YORK).date() - dt.timedelta(days=self.history_days)
        if earliest < floor:
            return self._error(403, "NOT_AUTHORIZED", message=MSG_PLAN)
        return None

    def _visible(self, day: dt.date) -> bool:
        return day <= self.latest_session()

    def _dropped(self, fault: str | None, ticker: str) -> bool:
        return fault == "empty" or (fault == "missing" and ticker in self.faults.config.drop_tickers)

    def _bar_json(self, bar: Bar, t: int, fault: str | None, *, with_ticker: bool) -> dict[str, Any]:
        out = bar_json(bar, t, with_ticker=with_ticker)
        if self.dataset.is_otc(bar.ticker):  # Massive leaves "otc" off unless it is true
            out["otc"] = True
        return corrupt(out, self.faults.config.bad_numbers) if fault == "bad_numbers" else out

    @staticmethod
    def _shift(fault: str | None) -> int:
        return DAY_MS if fault == "wrong_date" else 0

    def _adjusted(self, req: Request) -> bool:
        return self._flag(req, "adjusted", default=True)

    def _served(self, bars: list[Bar], adjusted: bool) -> list[Bar]:
        """The bars (revised) in the basis asked for, as of the server's "now" (dataset.as_served)."""
        today = self.now().astimezone(NEW_YORK).date()
        revised = self.revisions.apply_all(bars)
        if not self.splits:
            return revised
        return [as_served(b, self.splits, adjusted=adjusted, today=today) for b in revised]

    @staticmethod
    def _flag(req: Request, name: str, *, default: bool) -> bool:
        value = (req.param(name) or ("true" if default else "false")).lower()
        if value not in ("true", "false"):
            raise BadParameter(f"{name} must be true or false")
        return value == "true"

    # -- endpoints ---------------------------------------------------------------------------------------

    def _range(self, req: Request, r: Route, fault: str | None) -> Response:
        assert r.ticker is not None
        mult, span, start_text, end_text = r.params
        if mult != "1" or span != "day":
            raise BadParameter("This local server only serves daily aggregates: use /range/1/day/")
        start = parse_day(start_text, "from")
        end = parse_day(end_text, "to", upper_bound=True)
        adjusted = self._adjusted(req)
        cursor = req.param("cursor")
        if cursor:
            offset, limit, sort = decode_cursor(cursor)
            limit = min(limit, self.max_limit)
        else:
            offset = 0
            sort = (req.param("sort") or "asc").lower()
            if sort not in ("asc", "desc"):
                raise BadParameter("sort must be asc or desc")
            limit_text = req.param("limit") or str(DEFAULT_LIMIT)
            if not limit_text.isdigit() or int(limit_text) < 1:
                raise BadParameter("limit must be a positive integer")
            limit = min(int(limit_text), self.max_limit)
        denied = self._plan_check(start)
        if denied:
            return denied
        end = min(end, self.latest_session())
        bars = (
            []
            if self._dropped(fault, r.ticker)
            else self._served(self.dataset.bars_between(r.ticker, start, end), adjusted)
        )
        if sort == "desc":
            bars.reverse()
        page = bars[offset : offset + limit]
        shift = self._shift(fault)
        body: dict[str, Any] = {
            "ticker": r.ticker,
            "queryCount": len(page),
            "resultsCount": len(page),
            "adjusted": adjusted,
        }
        if page:
            body["results"] = [
                self._bar_json(b, session_start_ms(b.day) + shift, fault, with_ticker=False) for b in page
            ]
        body["status"] = "OK"
        body["request_id"] = self._request_id()
        if offset + limit < len(bars):
            path = f"/v2/aggs/ticker/{quote(r.ticker, safe='')}/range/1/day/{start_text}/{end_text}"
            body["next_url"] = f"{req.base_url}{path}?cursor={encode_cursor(offset + limit, limit, sort)}"
        return json_response(200, body)

    def _grouped(self, req: Request, r: Route, fault: str | None) -> Response:
        day = parse_day(r.params[0], "date")
        adjusted = self._adjusted(req)
        include_otc = self._flag(req, "include_otc", default=False)  # Massive's default: OTC left out
        denied = self._plan_check(day)
        if denied:
            return denied
        bars = self._served(self.dataset.bars_on(day), adjusted) if self._visible(day) else []
        bars = [
            b
            for b in bars
            if not self._dropped(fault, b.ticker) and (include_otc or not self.dataset.is_otc(b.ticker))
        ]
        shift = self._shift(fault)
        body: dict[str, Any] = {"queryCount": len(bars), "resultsCount": len(bars), "adjusted": adjusted}
        if bars:
            body["results"] = [
                self._bar_json(b, session_close_ms(b.day) + shift, fault, with_ticker=True) for b in bars
            ]
        body["status"] = "OK"
        body["request_id"] = self._request_id()
        return json_response(200, body)

    def _prev(self, req: Request, r: Route, fault: str | None) -> Response:
        assert r.ticker is not None
        adjusted = self._adjusted(req)
        bar = None if self._dropped(fault, r.ticker) else self.dataset.bar(r.ticker, self.latest_session())
        bar = None if bar is None else self._served([bar], adjusted)[0]
        body: dict[str, Any] = {
            "ticker": r.ticker,
            "queryCount": 1 if bar else 0,
            "resultsCount": 1 if bar else 0,
            "adjusted": adjusted,
        }
        if bar:
            body["results"] = [
                self._bar_json(bar, session_close_ms(bar.day) + self._shift(fault), fault, with_ticker=True)
            ]
        body["status"] = "OK"
        body["request_id"] = self._request_id()
        return json_response(200, body)

    def _open_close(self, req: Request, r: Route, fault: str | None) -> Response:
        assert r.ticker is not None
        day = parse_day(r.params[0], "date")
        adjusted = self._adjusted(req)
        denied = self._plan_check(day)
        if denied:
            return denied
        bar = self.dataset.bar(r.ticker, day) if self._visible(day) else None
        bar = None if bar is None else self._served([bar], adjusted)[0]
        if bar is None or self._dropped(fault, r.ticker):
            return self._not_found()
        shown = day + dt.timedelta(days=1) if fault == "wrong_date" else day
        values = self._bar_json(bar, 0, fault, with_ticker=False)
        # The dataset has no extended-hours trades; the session's open and close stand in for them.
        return json_response(
            200,
            {
                "status": "OK",
                "from": shown.isoformat(),
                "symbol": bar.ticker,
                "open": values["o"],
                "high": values["h"],
                "low": values["l"],
                "close": values["c"],
                "volume": values["v"],
                "afterHours": values["c"],
                "preMarket": values["o"],
            },
        )

    def _splits(self, req: Request, r: Route, fault: str | None) -> Response:
        """`/v3/reference/splits`: the executed splits (on or before "now"), filtered by `ticker` and
        `execution_date[.gte|.gt|.lte|.lt]`, ordered by execution date (`order`), `limit` (default 10, at
        most 1000) per page with a `next_url` cursor, Massive's reference-endpoint shape."""
        today = self.now().astimezone(NEW_YORK).date()
        ticker = req.param("ticker")
        bounds: list[tuple[str, dt.date]] = []
        for op in ("", ".gte", ".gt", ".lte", ".lt"):
            text = req.param(f"execution_date{op}")
            if text is not None:
                try:
                    bounds.append((op, dt.date.fromisoformat(text)))
                except ValueError:
                    raise BadParameter(f"execution_date{op} must be YYYY-MM-DD") from None
        order = (req.param("order") or "asc").lower()
        if order not in ("asc", "desc"):
            raise BadParameter("order must be asc or desc")
        cursor = req.param("cursor")
        if cursor:
            offset, limit, order = decode_cursor(cursor)
            limit = min(limit, 1000)
        else:
            offset, limit_text = 0, req.param("limit") or "10"
            if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
                raise BadParameter("limit must be an integer in 1..1000")
            limit = int(limit_text)
        tests = {
            "": lambda d, b: d == b,
            ".gte": lambda d, b: d >= b,
            ".gt": lambda d, b: d > b,
            ".lte": lambda d, b: d <= b,
            ".lt": lambda d, b: d < b,
        }
        rows = [
            s
            for s in sorted(self.splits, key=lambda s: (s.day, s.ticker), reverse=order == "desc")
            if s.day <= today
            and (ticker is None or s.ticker == ticker)
            and all(tests[op](s.day, bound) for op, bound in bounds)
            and fault != "empty"
        ]
        page = rows[offset : offset + limit]
        body: dict[str, Any] = {
            "results": [
                {
                    "execution_date": s.day.isoformat(),
                    "id": f"E{s.ticker}{s.day:%Y%m%d}",
                    "split_from": s.split_from,
                    "split_to": s.split_to,
                    "ticker": s.ticker,
                }
                for s in page
            ],
            "status": "OK",
            "request_id": self._request_id(),
        }
        if offset + limit < len(rows):
            query = {k: v[0] for k, v in req.query.items() if k != "cursor" and v}
            query["cursor"] = encode_cursor(offset + limit, limit, order)
            body["next_url"] = f"{req.base_url}/v3/reference/splits?{urlencode(query)}"
        return json_response(200, body)

    # -- admin ---------------------------------------------------------------------------------------------

    def _admin(self, req: Request) -> Response:
        name = req.path[len("/_admin/") :].strip("/")
        if req.method in ("GET", "HEAD"):
            if name == "stats":
                return json_response(200, self.stats.snapshot())
            if name == "faults":
                return json_response(200, self.faults.state())
            if name == "revisions":
                return json_response(200, self.revisions.state())
            if name == "health":
                return json_response(200, self.describe())
            if name == "arrivals":
                return self._admin_arrivals(req)
        elif req.method == "POST":
            if name == "reset":
                self.reset()
                return json_response(200, {"status": "OK"})
            if name == "faults":
                try:
                    data = json.loads(req.body or b"null")
                    self.faults.configure(FaultConfig.from_dict(data))
                except (ValueError, FaultConfigError) as exc:
                    return json_response(400, {"status": "ERROR", "error": f"bad faults: {exc}"})
                return json_response(200, self.faults.state())
            if name == "revisions":
                return self._admin_revisions(req)
            if name == "clock":
                return self._admin_clock(req)
            if name == "rate-limit":
                return self._admin_rate_limit(req)
            if name in ("plan/alphavantage", "plan/tiingo"):
                return self._admin_plan(req, name.removeprefix("plan/"))
        return json_response(404, {"status": "NOT_FOUND", "message": "No such admin endpoint."})

    def _admin_arrivals(self, req: Request) -> Response:
        """Every data request's arrival (time, status: null while still served) since the last reset, and
        the peak in any window (`?window=S`, default the rate limit's period); 429s count, as a per-window
        provider sees them."""
        limit = self.limiter.limit
        text = req.param("window")
        try:
            window = float(text) if text is not None else (limit[1] if limit else 60.0)
            if not window > 0 or window == float("inf"):
                raise ValueError(text)
        except ValueError:
            return json_response(400, {"status": "ERROR", "error": "window must be a positive number"})
        arrivals = self.stats.arrivals()
        return json_response(
            200,
            {
                "status": "OK",
                "arrivals": [{"t": round(t, 6), "status": st} for t, st in arrivals],
                "window_seconds": window,
                "peak": peak_in_window((t for t, _ in arrivals), window),
                "limit": None if limit is None else limit[0],
            },
        )

    def _admin_revisions(self, req: Request) -> Response:
        """Replace the revision set: `{"revisions": [...]}` (revisions.py); `{"revisions": []}` clears it."""
        try:
            data = json.loads(req.body or b"null")
            if (
                not isinstance(data, dict)
                or set(data) != {"revisions"}
                or not isinstance(data["revisions"], list)
            ):
                raise RevisionError('expected {"revisions": [...]}')
            self.revisions.configure(data["revisions"], self.dataset)
        except (ValueError, RevisionError) as exc:
            return json_response(400, {"status": "ERROR", "error": f"bad revisions: {exc}"})
        return json_response(200, self.revisions.state())

    def _admin_clock(self, req: Request) -> Response:
        try:
            data = json.loads(req.body or b"{}")
            text = data.get("now") if isinstance(data, dict) else None
            now = None if text is None else dt.datetime.fromisoformat(str(text))
            self.set_now(now)
        except ValueError as exc:
            return json_response(400, {"status": "ERROR", "error": f"bad clock: {exc}"})
        return json_response(200, {"status": "OK", "now": self.now().isoformat()})

    def _admin_rate_limit(self, req: Request) -> Response:
        try:
            data = json.loads(req.body or b"null")
            if data is None:
                limit = None
            elif isinstance(data, dict) and set(data) == {"calls", "period_seconds"}:
                limit = validate_rate_limit((data["calls"], data["period_seconds"]))
            else:
                raise ValueError('expected {"calls", "period_seconds"} or null')
            self.set_rate_limit(limit)
        except ValueError as exc:
            return json_response(400, {"status": "ERROR", "error": f"bad rate limit: {exc}"})
        return json_response(200, {"status": "OK", "rate_limit": self.describe()["rate_limit"]})

    def _admin_plan(self, req: Request, vendor: str) -> Response:
        """Replace Alpha Vantage's or Tiingo's plan: {"window": {"calls", "period_seconds"}, ...}."""
        try:
            plan = plan_from_json(req.body)
        except ValueError as exc:
            return json_response(400, {"status": "ERROR", "error": f"bad plan: {exc}"})
        self.vendors.set_plans(**{vendor: plan})
        return json_response(200, {"status": "OK", "plans": self.vendors.describe()})

    def reset(self) -> None:
        """Zero the counters and arrivals and empty every rate-limit window (every vendor's plan too)."""
        self.stats.reset()
        self.limiter.reset()
        self.vendors.reset()

    def describe(self) -> dict[str, Any]:
        limit = self.limiter.limit
        return {
            "status": "OK",
            "tickers": list(self.dataset.tickers),
            "first_session": self.dataset.sessions[0].isoformat() if self.dataset.sessions else None,
            "last_session": self.dataset.sessions[-1].isoformat() if self.dataset.sessions else None,
            "now": self.now().isoformat(),
            "rate_limit": None if limit is None else {"calls": limit[0], "period_seconds": limit[1]},
            "history_days": self.history_days,
            "plans": self.vendors.describe(),
            "max_limit": self.max_limit,
            "sources": list(self.dataset.sources),
            "universe": self.dataset.describe() if isinstance(self.dataset, Universe) else None,
        }
