"""The whole-market scope's universe: which rows of a provider's one-call session snapshot take part in the
day, by the configured whole-market filters (so penny stocks and thinly traded names do not win every day).

A row is excluded, for the first reason that applies, when:
- ``otc``: the provider marks it OTC (Massive's grouped daily: ``"otc": true``; the request already leaves
  OTC rows out, as Massive does by default, so this holds only if a server sends them anyway);
- ``symbol``: its symbol is not a stored-ticker symbol (``inputs.TICKER_RE``: 1-5 upper-case letters and an
  optional ``.X``/``-X`` class suffix). Massive writes preferred shares and when-issued lines with
  lower-case letters (``KIMpL``), which the stores cannot key anyway;
- ``nonCommon``: its class suffix is one US exchanges use for warrants, units and rights (``.WS``, ``.WT``,
  ``.U``, ``.UN``, ``.R``, ``.RT``, or with ``-``). Massive's grouped answer has no security-type field, so
  this is the only non-common-stock evidence it carries; NASDAQ's 5th-letter codes (``ABCDW``) are not
  used, because a 5-letter symbol ending in W, U or R is as often a common stock;
- ``price``: its close is below ``min_price`` (USD);
- ``volume``: its volume is below ``min_volume`` (shares).
Every row that stays is then validated as the watchlist's are (``pick.reduce_day``): one bad row refuses
the whole day, so a stored market winner is never computed from rows the daily run would refuse.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.inputs import TICKER_RE

NON_COMMON_SUFFIXES = frozenset({"WS", "WT", "U", "UN", "R", "RT"})
EXCLUSIONS = ("otc", "symbol", "nonCommon", "price", "volume")
DEFAULT_MIN_PRICE = Decimal(5)
DEFAULT_MIN_VOLUME = Decimal(100_000)


@dataclass(frozen=True)
class MarketFilters:
    """The configured whole-market filters: a minimum close (USD) and a minimum volume (shares), each >= 0."""

    min_price: Decimal = DEFAULT_MIN_PRICE
    min_volume: Decimal = DEFAULT_MIN_VOLUME

    def __post_init__(self) -> None:
        for name in ("min_price", "min_volume"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise ValueError(f"{name} must be a finite Decimal >= 0, got {value!r}")


@dataclass(frozen=True)
class MarketUniverse:
    """The rows that take part in the day (in the snapshot's order) and how many each filter excluded."""

    bars: tuple[DailyBar, ...]
    excluded: dict[str, int]

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(b.ticker for b in self.bars)


def exclusion(bar: DailyBar, otc: bool, filters: MarketFilters) -> str | None:
    """Why `bar` is left out of the whole-market day (one of EXCLUSIONS), or None when it takes part."""
    if otc:
        return "otc"
    if not isinstance(bar.ticker, str) or not TICKER_RE.fullmatch(bar.ticker):
        return "symbol"
    for sep in ".-":
        if sep in bar.ticker and bar.ticker.rsplit(sep, 1)[1] in NON_COMMON_SUFFIXES:
            return "nonCommon"
    if bar.close < filters.min_price:
        return "price"
    if bar.volume < filters.min_volume:
        return "volume"
    return None


def market_universe(bars: Iterable[DailyBar], otc: Iterable[str], filters: MarketFilters) -> MarketUniverse:
    """The snapshot's rows that pass `filters` (see the module docstring); `otc` names the rows the provider
    marks OTC. Every exclusion reason is counted (zeros included), so a run can say what it left out."""
    marked = frozenset(otc)
    kept: list[DailyBar] = []
    counts: Counter[str] = Counter({reason: 0 for reason in EXCLUSIONS})
    for bar in bars:
        reason = exclusion(bar, bar.ticker in marked, filters)
        if reason is None:
            kept.append(bar)
        else:
            counts[reason] += 1
    return MarketUniverse(bars=tuple(kept), excluded={r: counts[r] for r in EXCLUSIONS})
