"""A deterministic SYNTHETIC market of any size, generated on the fly from a seed (nothing stored).

``Universe(base, size, seed)`` serves ``size`` tickers on the base dataset's sessions: the base dataset's
own tickers (their bars untouched, so a watchlist's winner does not change) plus generated symbols, or only
generated symbols with ``include_base=False``. Every generated bar is labelled ``SYNTHETIC``.

Generated symbols are unique runs of 1-5 upper-case letters that never equal a bundled ticker. The symbol
stream depends only on the seed, so a smaller universe's generated symbols are a prefix of a larger one's
with the same seed, and a symbol's bars depend only on (seed, symbol, session, previous session): the same
symbol has the same bars in a 500- and a 10,000-ticker universe.

Nothing is materialised up front: each bar is computed from per-(seed, ticker, day) hashes in O(1), so
a grouped-daily answer costs ``size`` bar computations (the last few sessions are cached) and a range
answer costs one per session asked for. The price model (see docs/data.md):

    level(d)   = log p0 + drift·(d - 2026-11-20)/365.25 + Σⱼ Aⱼ·sin(2π·d/Pⱼ + φⱼ)       (d = calendar day)
    close_d    = exp(level(d) + e_d),      e_d ~ N(0, sigma²), plus a rare jump of ±3-8 sigma
    open_d     = close_{prev session} · exp(g_d),  g_d ~ N(0, (sigma/2)²)
    high/low   = wicks beyond max/min(open, close);  volume = base · exp(N(0, 0.3²)) · (1 + 12·|move|)

Per-ticker parameters (price tier from penny stocks to large caps, sigma, base volume across 10² to 10⁸
shares, an OTC flag) come from the seed and the symbol. OTC is the one kind of symbol Massive's
grouped-daily answer marks (``"otc": true``, left off otherwise; excluded unless ``include_otc=true``); it
has no field for warrants, units, rights or preferred shares, so none is generated.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from .dataset import END_DATE, SYNTHETIC, TICKERS, Bar, Dataset, DatasetError, _q

MAX_UNIVERSE = 100_000
# The price tiers hold on this day (the bundled data's last session); the level drifts away from it.
_ANCHOR = END_DATE.toordinal()
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Symbol lengths, roughly as on US exchanges (most are 3-4 letters; 1-letter symbols are scarce).
_LENGTHS = ((1, 0.005), (2, 0.04), (3, 0.38), (4, 0.47), (5, 0.105))
# Price tiers: (share, lowest start price, highest start price, lowest sigma, highest sigma, OTC probability).
_TIERS = (
    (0.12, 0.05, 1.0, 0.05, 0.12, 0.45),  # penny stocks
    (0.18, 1.0, 5.0, 0.03, 0.07, 0.10),
    (0.40, 5.0, 50.0, 0.015, 0.04, 0.02),
    (0.25, 50.0, 300.0, 0.010, 0.025, 0.0),
    (0.05, 300.0, 1500.0, 0.008, 0.020, 0.0),  # large caps
)
_PERIODS = (37.0, 151.0, 593.0)  # calendar days of the three slow cycles of a ticker's level
_CACHED_SESSIONS = 4


class UniverseError(DatasetError):
    """A universe that cannot be built (size, seed or base dataset out of range)."""


@dataclass(frozen=True, slots=True)
class SymbolModel:
    """Per-symbol parameters of a generated ticker (sigma is the daily sd of the close's noise)."""

    ticker: str
    start_price: float
    annual_drift: float
    sigma: float
    base_volume: int
    otc: bool
    cycles: tuple[tuple[float, float, float], ...]  # (amplitude, period in days, phase)


def _rng(seed: int, *parts: object) -> random.Random:
    key = ":".join(str(p) for p in ("stock-movers-universe", seed, *parts))
    return random.Random(int.from_bytes(hashlib.blake2b(key.encode(), digest_size=16).digest(), "big"))


def generate_symbols(seed: int, count: int, exclude: frozenset[str] = frozenset(TICKERS)) -> list[str]:
    """The first `count` symbols of the seed's stream: unique, 1-5 upper-case letters, none in `exclude`."""
    if not 0 <= count <= MAX_UNIVERSE:
        raise UniverseError(f"symbol count must be within 0..{MAX_UNIVERSE}, got {count}")
    rng = _rng(seed, "symbols")
    lengths = [n for n, _ in _LENGTHS]
    weights = [w for _, w in _LENGTHS]
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        n = rng.choices(lengths, weights)[0]
        symbol = "".join(rng.choice(_LETTERS) for _ in range(n))
        if symbol in seen or symbol in exclude:
            continue  # short symbols run out first; longer draws still succeed
        seen.add(symbol)
        out.append(symbol)
    return out


def symbol_model(seed: int, ticker: str) -> SymbolModel:
    """The generated parameters of `ticker` under `seed`."""
    rng = _rng(seed, "model", ticker)
    u = rng.random()
    for share, lo_p, hi_p, lo_s, hi_s, otc_p in _TIERS:  # noqa: B007 - the last tier catches rounding
        if u < share:
            break
        u -= share
    price = math.exp(rng.uniform(math.log(lo_p), math.log(hi_p)))
    sigma = rng.uniform(lo_s, hi_s)
    # Volumes across orders of magnitude: log10 ~ N(5.4, 0.9), bounded to 10^2 .. 10^8.5 shares a day.
    base_volume = int(10 ** min(8.5, max(2.0, rng.gauss(5.4, 0.9))))
    otc = rng.random() < otc_p
    drift = rng.gauss(0.03, 0.12)
    cycles = tuple(
        (
            min(0.3, sigma * math.sqrt(period) * rng.uniform(0.1, 0.3)),
            period * rng.uniform(0.8, 1.25),
            rng.uniform(0, 6.3),
        )
        for period in _PERIODS
    )
    return SymbolModel(ticker, price, drift, sigma, base_volume, otc, cycles)


def _noise(seed: int, ticker: str, day: dt.date) -> tuple[float, float, float, float, float]:
    """(close noise, gap, high wick, low wick, volume noise) of one ticker and day, in units of sigma."""
    rng = _rng(seed, "day", ticker, day.toordinal())
    e = rng.gauss(0.0, 1.0)
    if rng.random() < 0.01:  # a rare news day: a jump of 3-8 sigma either way
        e += rng.choice((-1.0, 1.0)) * rng.uniform(3.0, 8.0)
    return e, rng.gauss(0.0, 0.5), rng.expovariate(1 / 0.35), rng.expovariate(1 / 0.35), rng.gauss(0.0, 0.3)


def _level(model: SymbolModel, day: dt.date) -> float:
    """The log price a ticker's close wanders around on `day` (drift plus three slow cycles)."""
    d = day.toordinal() - _ANCHOR
    level = math.log(model.start_price) + model.annual_drift * d / 365.25
    for amplitude, period, phase in model.cycles:
        level += amplitude * math.sin(2 * math.pi * d / period + phase)
    return level


def _close(model: SymbolModel, seed: int, day: dt.date) -> Decimal:
    return _q(math.exp(_level(model, day) + model.sigma * _noise(seed, model.ticker, day)[0]))


def _bar(model: SymbolModel, seed: int, day: dt.date, prev_close: Decimal) -> tuple[Bar, Decimal]:
    e, gap, up, down, vol_noise = _noise(seed, model.ticker, day)
    s = model.sigma
    close = _q(math.exp(_level(model, day) + s * e))
    open_ = _q(float(prev_close) * math.exp(s * gap))
    top, bottom = max(open_, close), min(open_, close)
    high = max(_q(float(top) * math.exp(s * up), ROUND_CEILING), top)
    low = min(_q(float(bottom) * math.exp(-s * down), ROUND_FLOOR), bottom)
    move = abs(math.log(float(close) / float(prev_close)))
    volume = max(100, int(model.base_volume * math.exp(vol_noise) * (1.0 + 12.0 * move)))
    return Bar(model.ticker, day, open_, high, low, close, volume, SYNTHETIC), close


class Universe:
    """A read-only, thread-safe bar source with the `Dataset` interface, generating bars on demand."""

    def __init__(self, base: Dataset, size: int, seed: int = 1, *, include_base: bool = True) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_UNIVERSE:
            raise UniverseError(
                f"universe size must be a whole number within 1..{MAX_UNIVERSE}, got {size!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise UniverseError(f"universe seed must be a whole number >= 0, got {seed!r}")
        if not base.sessions:
            raise UniverseError("the base dataset has no sessions to put the universe on")
        kept = base.tickers if include_base else ()
        if len(kept) > size:
            raise UniverseError(
                f"a universe of {size} cannot hold the base dataset's {len(kept)} tickers; ask for at least "
                f"{len(kept)} or leave them out (include_base=False / --universe-without-bundled)"
            )
        self.base = base
        self.size = size
        self.seed = seed
        self.include_base = include_base
        self._base_tickers = frozenset(kept)
        exclude = frozenset(TICKERS) | frozenset(base.tickers)
        self._models: dict[str, SymbolModel] = {
            s: symbol_model(seed, s) for s in generate_symbols(seed, size - len(kept), exclude)
        }
        self._tickers = tuple(sorted((*kept, *self._models)))
        self._sessions = base.sessions
        self._session_set = frozenset(self._sessions)
        self._lock = threading.Lock()
        self._by_date: OrderedDict[dt.date, list[Bar]] = OrderedDict()

    # -- the Dataset interface ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._sessions) * len(self._models) + sum(
            len(self.base.bars_between(t, self._sessions[0], self._sessions[-1])) for t in self._base_tickers
        )

    @property
    def tickers(self) -> tuple[str, ...]:
        return self._tickers

    @property
    def sessions(self) -> tuple[dt.date, ...]:
        return self._sessions

    @property
    def last_session(self) -> dt.date:
        return self._sessions[-1]

    @property
    def sources(self) -> tuple[str, ...]:
        generated = (SYNTHETIC,) if self._models else ()
        return tuple(sorted({*generated, *(self.base.sources if self._base_tickers else ())}))

    def is_otc(self, ticker: str) -> bool:
        model = self._models.get(ticker)
        return model is not None and model.otc

    def model(self, ticker: str) -> SymbolModel | None:
        """The parameters of a generated ticker (None for a base or unknown one)."""
        return self._models.get(ticker)

    def bar(self, ticker: str, day: dt.date) -> Bar | None:
        if ticker in self._base_tickers:
            return self.base.bar(ticker, day)
        model = self._models.get(ticker)
        if model is None or day not in self._session_set:
            return None
        return self._generated(model, [day])[0]

    def bars_between(self, ticker: str, start: dt.date, end: dt.date) -> list[Bar]:
        if ticker in self._base_tickers:
            return self.base.bars_between(ticker, start, end)
        model = self._models.get(ticker)
        if model is None or start > end:
            return []
        lo = bisect.bisect_left(self._sessions, start)
        hi = bisect.bisect_right(self._sessions, end)
        return self._generated(model, self._sessions[lo:hi])

    def bars_on(self, day: dt.date) -> list[Bar]:
        if day not in self._session_set:
            return []
        with self._lock:
            cached = self._by_date.get(day)
            if cached is not None:
                self._by_date.move_to_end(day)
                return list(cached)
        bars = []
        for ticker in self._tickers:
            bar = self.bar(ticker, day)
            if bar is not None:
                bars.append(bar)
        with self._lock:
            self._by_date[day] = bars
            while len(self._by_date) > _CACHED_SESSIONS:
                self._by_date.popitem(last=False)
        return list(bars)

    def last_bar_on_or_before(self, ticker: str, day: dt.date) -> Bar | None:
        if ticker in self._base_tickers:
            return self.base.last_bar_on_or_before(ticker, day)
        i = bisect.bisect_right(self._sessions, day)
        return self.bar(ticker, self._sessions[i - 1]) if i and ticker in self._models else None

    # -- description -------------------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """What the health endpoint says about the universe."""
        return {
            "size": self.size,
            "seed": self.seed,
            "generated": len(self._models),
            "base_tickers": sorted(self._base_tickers),
            "otc": sum(1 for m in self._models.values() if m.otc),
            "source": SYNTHETIC,
        }

    def _generated(self, model: SymbolModel, days: Sequence[dt.date]) -> list[Bar]:
        """Bars of `model` on consecutive sessions `days` (each bar's open follows the previous close)."""
        if not days:
            return []
        i = bisect.bisect_left(self._sessions, days[0])
        prev_day = self._sessions[i - 1] if i else days[0] - dt.timedelta(days=1)
        prev_close = _close(model, self.seed, prev_day)
        out = []
        for day in days:
            bar, prev_close = _bar(model, self.seed, day, prev_close)
            out.append(bar)
        return out
