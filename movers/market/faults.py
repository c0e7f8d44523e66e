"""Fault injection for the local market server: a scripted sequence and/or a seeded probability.

Each *data* request that matches the filters (endpoint, ticker) draws one fault kind: first the next entry
of `script` (consumed one per matching request), then, once the script is used up, a random kind from
`kinds` with `probability`, drawn from `random.Random(seed)` so a run is repeatable. Kinds:

- ``ok``          serve normally (a placeholder in a script)
- ``429``         Massive's rate-limit body with HTTP 429
- ``500`` ``502`` ``503``  an error body with that status (``5xx`` means 500)
- ``slow``        sleep `slow_ms` (at most 30 s) and then serve normally
- ``malformed``   HTTP 200 with the JSON body cut in half
- ``missing``     drop `drop_tickers` from the answer (grouped: those rows; range/prev: no results;
                  open-close: 404)
- ``wrong_date``  shift every bar's `t` (and open-close's `from`) forward by one day
- ``empty``       HTTP 200 with no results at all (open-close: 404), whatever was asked
- ``bad_numbers`` HTTP 200 with every served bar's numbers corrupted as `bad_numbers` says:
                  ``huge`` (close = high = 1e15), ``inverted`` (high below low), ``negative`` (negative
                  open and low), ``zero_open`` (open 0), ``huge_volume`` (volume 1e20, beyond int64)
- ``timeout``     hold the request `timeout_ms` (at most 30 s; longer than a client's read timeout) and then
                  answer 504
- ``401``         Massive's unknown-key answer, as if the key had been revoked
- ``403``         Massive's plan answer (NOT_AUTHORIZED), as if the plan had been downgraded

Filters: `endpoints`, `tickers` and `dates` (a request takes part only when every session it asks for is
listed: a range from..to whose days are all in `dates`, a grouped or open-close date; never `prev`).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

KINDS = (
    "ok",
    "429",
    "500",
    "502",
    "503",
    "slow",
    "malformed",
    "missing",
    "wrong_date",
    "empty",
    "bad_numbers",
    "timeout",
    "401",
    "403",
)
BAD_NUMBERS = ("huge", "inverted", "negative", "zero_open", "huge_volume")
# Massive's four, then Alpha Vantage's and Tiingo's (vendors.py)
ENDPOINTS = ("range", "grouped", "prev", "open_close", "av_daily", "tiingo_prices", "splits")
MAX_SLOW_MS = 30_000
_ALIASES = {
    "5xx": "500",
    "rate_limit": "429",
    "rate-limit": "429",
    "wrong-date": "wrong_date",
    "wrong_session": "wrong_date",
    "missing_tickers": "missing",
    "missing-tickers": "missing",
    "truncated": "malformed",
    "no_results": "empty",
    "bad-numbers": "bad_numbers",
    "auth": "401",
    "plan": "403",
}
_KEYS = {
    "script",
    "probability",
    "kinds",
    "seed",
    "slow_ms",
    "timeout_ms",
    "bad_numbers",
    "drop_tickers",
    "tickers",
    "endpoints",
    "dates",
}


class FaultConfigError(ValueError):
    """A fault configuration that cannot be used; the message names the field."""


def normalize_kind(kind: object) -> str:
    """Canonical kind name for `kind` (accepts ints like 429 and a few aliases)."""
    text = str(kind).strip().lower()
    text = _ALIASES.get(text, text)
    if text not in KINDS:
        raise FaultConfigError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
    return text


def _str_tuple(value: object, field: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise FaultConfigError(f"{field} must be a list of strings")
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class FaultConfig:
    """What to inject; the default injects nothing."""

    script: tuple[str, ...] = ()
    probability: float = 0.0
    kinds: tuple[str, ...] = ("429", "500")
    seed: int = 0
    slow_ms: int = 1000
    timeout_ms: int = 12_000
    bad_numbers: str = "huge"
    drop_tickers: tuple[str, ...] = ()
    tickers: tuple[str, ...] | None = None
    endpoints: tuple[str, ...] | None = None
    dates: tuple[str, ...] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | Sequence[Any] | None) -> FaultConfig:
        """Build from JSON-like data; a bare list is a script, None/{} means no faults."""
        if data is None:
            return cls()
        if isinstance(data, Sequence) and not isinstance(data, str):
            data = {"script": list(data)}
        if not isinstance(data, Mapping):
            raise FaultConfigError("faults must be a JSON object or a list of fault kinds")
        unknown = set(data) - _KEYS
        if unknown:
            raise FaultConfigError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        script = tuple(normalize_kind(k) for k in _str_tuple(data.get("script", []), "script"))
        kinds = tuple(normalize_kind(k) for k in _str_tuple(data.get("kinds", ["429", "500"]), "kinds"))
        try:
            probability = float(data.get("probability", 0.0))
            seed = int(data.get("seed", 0))
            slow_ms = int(data.get("slow_ms", 1000))
            timeout_ms = int(data.get("timeout_ms", 12_000))
        except (TypeError, ValueError) as exc:
            raise FaultConfigError(
                f"probability, seed, slow_ms and timeout_ms must be numbers ({exc})"
            ) from None
        if not 0.0 <= probability <= 1.0:
            raise FaultConfigError(f"probability must be within [0, 1], got {probability}")
        if probability > 0 and not kinds:
            raise FaultConfigError("kinds must not be empty when probability > 0")
        if not 0 <= slow_ms <= MAX_SLOW_MS:
            raise FaultConfigError(f"slow_ms must be within [0, {MAX_SLOW_MS}], got {slow_ms}")
        if not 0 <= timeout_ms <= MAX_SLOW_MS:
            raise FaultConfigError(f"timeout_ms must be within [0, {MAX_SLOW_MS}], got {timeout_ms}")
        bad_numbers = str(data.get("bad_numbers", "huge"))
        if bad_numbers not in BAD_NUMBERS:
            raise FaultConfigError(
                f"bad_numbers must be one of {', '.join(BAD_NUMBERS)}, got {bad_numbers!r}"
            )
        dates = data.get("dates")
        date_t = None if dates is None else _str_tuple(dates, "dates")
        for day in date_t or ():
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise FaultConfigError(f"dates must be YYYY-MM-DD, got {day!r}") from None
        endpoints = data.get("endpoints")
        endpoint_t = None if endpoints is None else _str_tuple(endpoints, "endpoints")
        if endpoint_t is not None:
            bad = [e for e in endpoint_t if e not in ENDPOINTS]
            if bad:
                raise FaultConfigError(f"unknown endpoint(s) {bad}; expected some of {', '.join(ENDPOINTS)}")
        tickers = data.get("tickers")
        return cls(
            script=script,
            probability=probability,
            kinds=kinds,
            seed=seed,
            slow_ms=slow_ms,
            timeout_ms=timeout_ms,
            bad_numbers=bad_numbers,
            drop_tickers=_str_tuple(data.get("drop_tickers", []), "drop_tickers"),
            tickers=None if tickers is None else _str_tuple(tickers, "tickers"),
            endpoints=endpoint_t,
            dates=date_t,
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out

    def matches(self, endpoint: str, ticker: str | None, span: tuple[dt.date, dt.date] | None = None) -> bool:
        """Whether a request takes part in injection. Grouped requests carry every ticker, so a ticker
        filter never excludes them (use `endpoints` for that). `span` is the first and last day the
        request asks for (None when it names none, like prev); with a `dates` filter every day of it must
        be listed."""
        if self.endpoints is not None and endpoint not in self.endpoints:
            return False
        if self.dates is not None and not _listed(span, self.dates):
            return False
        return self.tickers is None or ticker is None or ticker in self.tickers


def _listed(span: tuple[dt.date, dt.date] | None, dates: tuple[str, ...]) -> bool:
    if span is None:
        return False
    first, last = span
    count = (last - first).days + 1
    if not 1 <= count <= len(dates):
        return False
    return all((first + dt.timedelta(days=i)).isoformat() in dates for i in range(count))


class FaultInjector:
    """Thread-safe draw of one fault kind per matching data request."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Replace the configuration and restart the script and the RNG."""
        with self._lock:
            self._config = config
            self._position = 0
            self._rng = random.Random(config.seed)

    @property
    def config(self) -> FaultConfig:
        return self._config

    def draw(self, endpoint: str, ticker: str | None, span: tuple[dt.date, dt.date] | None = None) -> str:
        """The fault kind for this request ("ok" when none)."""
        with self._lock:
            cfg = self._config
            if not cfg.matches(endpoint, ticker, span):
                return "ok"
            if self._position < len(cfg.script):
                kind = cfg.script[self._position]
                self._position += 1
                return kind
            if cfg.probability > 0 and self._rng.random() < cfg.probability:
                return cfg.kinds[self._rng.randrange(len(cfg.kinds))]
            return "ok"

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {**self._config.to_dict(), "script_remaining": len(self._config.script) - self._position}
