"""Alpha Vantage's and Tiingo's daily-price APIs over the market server's one dataset.

The server (`app.MarketApp`) routes by path: Massive's paths are `/v1/...` and `/v2/...`, Alpha Vantage's is
`/query?function=...`, Tiingo's `/tiingo/daily/{ticker}/prices`, so one server (one URL, one dataset) speaks
all three and a deployment switches provider by its `provider` setting alone. Shapes, auth and limits follow
/work/shared/market-data-apis.md (§2, §3):

- Alpha Vantage `TIME_SERIES_DAILY`: key in `apikey` only; the latest 100 sessions (`compact`), string
  values, newest first; `outputsize=full` is premium. Every refusal is HTTP 200 with an `Error Message` or
  `Information` body: a burst over the per-second plan, then the daily quota (25 by default), the premium
  notice, an invalid/missing key, an unknown symbol or function.
- Tiingo `prices?startDate=&endDate=`: key as `Authorization: Token KEY` or `?token=`; a JSON array of raw and
  `adj*` columns, `date` = the session at midnight UTC; 404 `{"detail": "Error: Ticker 'X' not found"}`;
  over the hourly (50) or daily (1,000) allocation a 429 naming which.

A plan is named sliding windows per key (`QuotaPlan`): a call is admitted only when every window has room,
and a refused call is counted in none (as `ratelimit.SlidingWindow`). Calls are counted in the server's
stats under the endpoints `av_daily` and `tiingo_prices`, and fault injection (`faults.py`) applies to them
with each vendor's own way of saying it (a `429` fault is Alpha Vantage's burst notice, for instance).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from .dataset import Bar, volume_json
from .ratelimit import SlidingWindow, validate_rate_limit

# What a vendor handler answers: (HTTP status, JSON body bytes); app.MarketApp makes its Response of it.
Answer = tuple[int, bytes]
Corrupt = Callable[[dict[str, Any], str], dict[str, Any]]
_SERVER_ERRORS = {
    "500": (500, "Internal server error"),
    "502": (502, "Bad gateway"),
    "503": (503, "Service unavailable"),
}


class VendorRequest(Protocol):
    """The parts of app.Request a vendor handler reads."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    def param(self, name: str) -> str | None: ...


def json_answer(status: int, obj: object) -> Answer:
    return status, json.dumps(obj, separators=(",", ":")).encode()


AV_ENDPOINT = "av_daily"
TIINGO_ENDPOINT = "tiingo_prices"
AV_COMPACT = 100
AV_PREMIUM_URL = "https://www.alphavantage.co/premium/"
AV_BURST = (
    "Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly "
    f"(1 request per second). You may subscribe to any of the premium plans at {AV_PREMIUM_URL} to lift the "
    "free key rate limit (25 requests per day) and instantly remove all daily rate limits."
)
AV_DAILY = (
    "Thank you for using Alpha Vantage! Our standard API rate limit is {calls} requests per day. Please "
    f"subscribe to any of the premium plans at {AV_PREMIUM_URL} to instantly remove all daily rate limits."
)
AV_PREMIUM = (
    "Thank you for using Alpha Vantage! The outputsize=full parameter value is a premium feature for the "
    f"TIME_SERIES_DAILY endpoint. You may subscribe to any of the premium plans at {AV_PREMIUM_URL} to "
    "instantly unlock all premium features"
)
AV_BAD_KEY = (
    "the parameter apikey is invalid or missing. Please claim your free API key on "
    "(https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds."
)
AV_INVALID_CALL = (
    "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) "
    "for TIME_SERIES_DAILY."
)
TIINGO_HOURLY = "Error: You have run over your hourly request allocation."
TIINGO_DAILY = "Error: You have run over your daily request allocation."
TIINGO_NO_TOKEN = "Authentication credentials were not provided."  # noqa: S105 - an error text
TIINGO_BAD_TOKEN = "Invalid token."  # noqa: S105 - an error text

DAY_SECONDS = 86_400.0
# Each vendor's free plan (market-data-apis.md): window name -> (calls, period_seconds). Checked in order.
ALPHAVANTAGE_FREE: dict[str, tuple[int, float]] = {"burst": (1, 1.0), "daily": (25, DAY_SECONDS)}
TIINGO_FREE: dict[str, tuple[int, float]] = {"hourly": (50, 3_600.0), "daily": (1_000, DAY_SECONDS)}


class QuotaPlan:
    """Named sliding windows per key; `take(key)` admits a call only when every window has room and then
    counts it in all of them, else returns the first full window's name (the call is counted nowhere)."""

    def __init__(
        self, windows: Mapping[str, tuple[int, float]] | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.windows: dict[str, tuple[int, float]] = {}
        for name, limit in (windows or {}).items():
            checked = validate_rate_limit(limit)
            assert checked is not None
            self.windows[str(name)] = checked
        self._clock = clock
        self._keys: dict[str, dict[str, SlidingWindow]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> str | None:
        with self._lock:
            mine = self._keys.get(key)
            if mine is None:
                mine = {n: SlidingWindow(c, p, self._clock) for n, (c, p) in self.windows.items()}
                self._keys[key] = mine
            for name, window in mine.items():
                if window.seconds_until_slot() > 0:
                    return name
            for window in mine.values():
                window.take()
            return None

    def used(self, key: str) -> dict[str, int]:
        """Calls admitted for `key` in each window now."""
        with self._lock:
            mine = self._keys.get(key, {})
            for window in mine.values():
                window.seconds_until_slot()  # drops the calls that left the window
            return {name: len(window.calls) for name, window in mine.items()}

    def reset(self) -> None:
        with self._lock:
            self._keys.clear()

    def describe(self) -> dict[str, dict[str, float]]:
        return {n: {"calls": c, "period_seconds": p} for n, (c, p) in self.windows.items()}


def _price(value: Decimal | float) -> str:
    return f"{Decimal(str(value)):.4f}"


class VendorApis:
    """Alpha Vantage and Tiingo over `app`'s (a MarketApp's) dataset, keys, faults, clock and stats.
    `corrupt` is app.corrupt (a bad_numbers fault), passed in so this module needs nothing of app's."""

    def __init__(
        self,
        app: Any,
        corrupt: Corrupt,
        *,
        alphavantage_plan: Mapping[str, tuple[int, float]] | None = None,
        tiingo_plan: Mapping[str, tuple[int, float]] | None = None,
        alphavantage_premium: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self._corrupt = corrupt
        self._clock = clock
        self.alphavantage_premium = alphavantage_premium
        self.set_plans(
            ALPHAVANTAGE_FREE if alphavantage_plan is None else alphavantage_plan,
            TIINGO_FREE if tiingo_plan is None else tiingo_plan,
        )

    def set_plans(
        self,
        alphavantage: Mapping[str, tuple[int, float]] | None = None,
        tiingo: Mapping[str, tuple[int, float]] | None = None,
    ) -> None:
        """Replace a vendor's plan ({window: (calls, period_seconds)}, {} for none); None keeps it."""
        if alphavantage is not None:
            self.alphavantage = QuotaPlan(alphavantage, self._clock)
        if tiingo is not None:
            self.tiingo = QuotaPlan(tiingo, self._clock)

    def reset(self) -> None:
        self.alphavantage.reset()
        self.tiingo.reset()

    def describe(self) -> dict[str, Any]:
        return {"alphavantage": self.alphavantage.describe(), "tiingo": self.tiingo.describe()}

    @staticmethod
    def owns(path: str) -> bool:
        return path == "/query" or path.startswith("/tiingo/")

    def handle(self, req: VendorRequest) -> Answer:
        if req.path == "/query":
            return self._counted(req, AV_ENDPOINT, (req.param("symbol") or "").upper() or None, self._av)
        return self._counted(req, TIINGO_ENDPOINT, self._tiingo_ticker(req.path), self._tiingo)

    def _counted(
        self,
        req: VendorRequest,
        endpoint: str,
        ticker: str | None,
        serve: Callable[[VendorRequest, str | None, list[str | None]], Answer],
    ) -> Answer:
        slot = self.app.stats.arrive()
        fault: list[str | None] = [None]
        answer = serve(req, ticker, fault)
        self.app.stats.record(endpoint, answer[0], ticker, fault[0], slot)
        return answer

    def _keys_ok(self, key: str) -> bool:
        keys = self.app._keys
        return keys is None or (bool(key) and key in keys)

    def _values(self, bar: Bar, fault: str | None) -> dict[str, Any]:
        """The bar's o/h/l/c/v as Massive's bar_json has them, corrupted as a bad_numbers fault says."""
        out = {
            "o": float(bar.open),
            "h": float(bar.high),
            "l": float(bar.low),
            "c": float(bar.close),
            "v": volume_json(bar.volume),
        }
        return self._corrupt(out, self.app.faults.config.bad_numbers) if fault == "bad_numbers" else out

    def _transport_fault(self, fault: str) -> Answer | None:
        """The vendor-neutral faults: server errors, timeouts, slow answers (then served normally)."""
        if fault == "timeout":
            self.app._sleep(self.app.faults.config.timeout_ms / 1000)
            return json_answer(504, {"detail": "Gateway timeout"})
        if fault in _SERVER_ERRORS:
            status, text = _SERVER_ERRORS[fault]
            return json_answer(status, {"detail": text})
        if fault == "slow":
            self.app._sleep(self.app.faults.config.slow_ms / 1000)
        return None

    @staticmethod
    def _truncate(answer: Answer, fault: str | None) -> Answer:
        status, body = answer
        return (status, body[: max(1, len(body) // 2)]) if fault == "malformed" and status == 200 else answer

    def _bars(self, ticker: str, start: dt.date, end: dt.date, fault: str | None) -> list[Bar]:
        end = min(end, self.app.latest_session())
        if fault == "empty" or (fault == "missing" and ticker in self.app.faults.config.drop_tickers):
            return []
        return self.app.dataset.bars_between(ticker, start, end)

    # -- Alpha Vantage -----------------------------------------------------------------------------------

    def _av(self, req: VendorRequest, ticker: str | None, fault: list[str | None]) -> Answer:
        def notice(kind: str, text: str) -> Answer:
            return json_answer(200, {kind: text})

        key = req.param("apikey") or ""
        if not self._keys_ok(key):
            return notice("Error Message", AV_BAD_KEY)
        refused = self.alphavantage.take(key)
        if refused is not None:
            if refused == "daily" or "per day" in refused:
                return notice("Information", AV_DAILY.format(calls=self.alphavantage.windows[refused][0]))
            return notice("Information", AV_BURST)
        if req.param("function") != "TIME_SERIES_DAILY" or not ticker:
            return notice("Error Message", AV_INVALID_CALL)
        fault[0] = drawn = self.app.faults.draw(AV_ENDPOINT, ticker, None)
        if drawn == "429":
            return notice("Information", AV_BURST)
        if drawn == "401":
            return notice("Error Message", AV_BAD_KEY)
        if drawn == "403" or (req.param("outputsize") == "full" and not self.alphavantage_premium):
            return notice("Information", AV_PREMIUM)
        size, kind = req.param("outputsize"), req.param("datatype")
        if size not in (None, "compact", "full") or kind not in (None, "json"):
            return notice("Error Message", AV_INVALID_CALL)
        failed = self._transport_fault(drawn)
        if failed is not None:
            return failed
        latest = self.app.latest_session()
        sessions = [d for d in self.app.dataset.sessions if d <= latest]
        window = sessions if req.param("outputsize") == "full" else sessions[-AV_COMPACT:]
        bars = self._bars(ticker, window[0], latest, drawn) if window else []
        if not bars:
            return notice("Error Message", AV_INVALID_CALL)  # what Alpha Vantage says for an unknown symbol
        shift = dt.timedelta(days=1 if drawn == "wrong_date" else 0)
        series: dict[str, dict[str, str]] = {}
        for bar in reversed(bars):  # newest first, as Alpha Vantage sends them
            v = self._values(bar, drawn)
            series[(bar.day + shift).isoformat()] = {
                "1. open": _price(v["o"]),
                "2. high": _price(v["h"]),
                "3. low": _price(v["l"]),
                "4. close": _price(v["c"]),
                "5. volume": str(v["v"]),
            }
        body = {
            "Meta Data": {
                "1. Information": "Daily Prices (open, high, low, close) and Volumes",
                "2. Symbol": ticker,
                "3. Last Refreshed": bars[-1].day.isoformat(),
                "4. Output Size": "Full size" if req.param("outputsize") == "full" else "Compact",
                "5. Time Zone": "US/Eastern",
            },
            "Time Series (Daily)": series,
        }
        return self._truncate(json_answer(200, body), drawn)

    # -- Tiingo ------------------------------------------------------------------------------------------

    @staticmethod
    def _tiingo_ticker(path: str) -> str | None:
        parts = [p for p in path.split("/") if p]
        if len(parts) == 4 and parts[:2] == ["tiingo", "daily"] and parts[3] == "prices":
            return parts[2].upper().replace("-", ".")  # Tiingo spells share classes BRK-B
        return None

    def _tiingo(self, req: VendorRequest, ticker: str | None, fault: list[str | None]) -> Answer:
        def detail(status: int, text: str) -> Answer:
            return json_answer(status, {"detail": text})

        header = req.headers.get("authorization", "")
        key = header[6:].strip() if header[:6].lower() == "token " else ""
        key = key or (req.param("token") or "")
        if not key and self.app._keys is not None:
            return detail(401, TIINGO_NO_TOKEN)
        if not self._keys_ok(key):
            return detail(401, TIINGO_BAD_TOKEN)
        refused = self.tiingo.take(key)
        if refused is not None:
            return detail(429, TIINGO_DAILY if refused == "daily" else TIINGO_HOURLY)
        if ticker is None or req.method not in ("GET", "HEAD"):
            return detail(404, "Not found.")
        try:
            start_text, end_text = req.param("startDate"), req.param("endDate")
            start = dt.date.fromisoformat(start_text) if start_text else None
            end = dt.date.fromisoformat(end_text) if end_text else None
        except ValueError:
            return detail(400, "Error: startDate and endDate must be YYYY-MM-DD")
        span = (start, end or start) if start else None
        fault[0] = drawn = self.app.faults.draw(TIINGO_ENDPOINT, ticker, span)
        if drawn == "429":
            return detail(429, TIINGO_HOURLY)
        if drawn == "401":
            return detail(401, TIINGO_BAD_TOKEN)
        if drawn == "403":
            return detail(403, "You do not have permission to access this data.")
        failed = self._transport_fault(drawn)
        if failed is not None:
            return failed
        if ticker not in self.app.dataset.tickers and not self.app.dataset.bars_between(
            ticker, self.app.dataset.sessions[0], self.app.dataset.last_session
        ):
            return detail(404, f"Error: Ticker '{ticker.replace('.', '-')}' not found")
        latest = self.app.latest_session()
        if start is None:  # no dates: the latest bar only
            last = self.app.dataset.bars_between(ticker, self.app.dataset.sessions[0], latest)[-1:]
            start = end = last[0].day if last else latest
        bars = self._bars(ticker, start, end or latest, drawn)
        shift = dt.timedelta(days=1 if drawn == "wrong_date" else 0)
        rows = []
        for bar in bars:
            v = self._values(bar, drawn)
            prices = {"close": v["c"], "high": v["h"], "low": v["l"], "open": v["o"], "volume": v["v"]}
            rows.append(
                {
                    "date": f"{(bar.day + shift).isoformat()}T00:00:00.000Z",
                    **prices,
                    # the dataset has no corporate actions: adjusted equals raw
                    **{f"adj{k.capitalize()}": value for k, value in prices.items()},
                    "divCash": 0.0,
                    "splitFactor": 1.0,
                }
            )
        return self._truncate(json_answer(200, rows), drawn)


def parse_plan(text: str) -> dict[str, tuple[int, float]]:
    """A plan from the CLI: "burst=1/1,daily=25/86400" (window=CALLS/SECONDS, comma separated), "none"
    for no windows; RateLimitConfigError (a ValueError) naming the bad part otherwise."""
    from .ratelimit import RateLimitConfigError, parse_rate_limit

    if text.strip().lower() in ("none", "off", ""):
        return {}
    out: dict[str, tuple[int, float]] = {}
    for part in text.split(","):
        name, sep, limit = part.partition("=")
        window = parse_rate_limit(limit) if sep and name.strip() else None
        if window is None:
            raise RateLimitConfigError(
                f"plan part {part.strip()!r} is not WINDOW=CALLS/SECONDS, e.g. daily=25/86400"
            )
        out[name.strip()] = window
    return out


def plan_from_json(text: bytes) -> dict[str, tuple[int, float]]:
    """{window: {"calls", "period_seconds"}} (an admin body) as a QuotaPlan mapping; ValueError otherwise."""
    data = json.loads(text or b"null")
    if not isinstance(data, dict):
        raise ValueError('expected {"window": {"calls": N, "period_seconds": S}, ...}')
    out: dict[str, tuple[int, float]] = {}
    for name, limit in data.items():
        if not isinstance(limit, dict) or set(limit) != {"calls", "period_seconds"}:
            raise ValueError(f'window {name!r}: expected {{"calls", "period_seconds"}}')
        checked = validate_rate_limit((limit["calls"], limit["period_seconds"]))
        assert checked is not None
        out[str(name)] = checked
    return out
