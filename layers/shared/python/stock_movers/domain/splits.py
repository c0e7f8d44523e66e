"""Price basis: which basis a provider's bars are in, and the rule that one day's bars share one basis.

Massive's default (`adjusted=true`) is split-adjusted as of the fetch; Alpha Vantage's TIME_SERIES_DAILY and
Tiingo's raw columns are as traded (`unadjusted`). A day whose bars come from providers of different bases
(the daily run's failover can serve tickers of one session from two providers) is refused with MixedBasis:
its Parquet object, board and items would not be comparable.

(A subset of the splits16 branch's module of the same name, which adds split events: keep that version.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stock_movers.domain.errors import DataIntegrityError

ADJUSTED = "adjusted"  # split-adjusted as of the fetch (Massive's default)
UNADJUSTED = "unadjusted"  # as traded (Alpha Vantage TIME_SERIES_DAILY, Tiingo's raw columns)
UNKNOWN = "unknown"  # an item stored before the basis was recorded
BASES = (ADJUSTED, UNADJUSTED)


class MixedBasis(DataIntegrityError):
    """The bars of one day were fetched in different price bases; the day is refused (one day's rows
    must all be in one basis for its Parquet object and board to be comparable)."""

    def __init__(self, bases: Iterable[str]) -> None:
        self.bases = sorted(set(bases))
        super().__init__(f"the day's bars are in different price bases: {', '.join(self.bases)}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.bases,))


def day_basis(bases: Iterable[str]) -> str:
    """The one basis of a day's bars; MixedBasis when they differ (none given: UNKNOWN)."""
    found = set(bases)
    if len(found) > 1:
        raise MixedBasis(found)
    return found.pop() if found else UNKNOWN
