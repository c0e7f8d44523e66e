"""Price basis and stock splits: which basis a stored bar is in, and the factor that brings it to the
split-adjusted basis of today.

A bar is stored exactly as the provider served it, with the basis it was served in (`BASES`) and the time it
was fetched. Massive's default (`adjusted=true`) is split-adjusted *as of the fetch*: a bar of day d fetched
on day F carries every split executed on or before F. Alpha Vantage's TIME_SERIES_DAILY and the raw columns
of Tiingo are as traded (`unadjusted`): a bar carries no split executed after its own day. So the splits a
stored bar still lacks are those executed after `adjusted_through(...)` (and after its own day), and
`factor` is the product of their from/to ratios.

Stored history is never rewritten when a split happens (it is *marked*: docs/data.md): the percent change
(same-day open to close) is scale-invariant, so every stored winner and PercentChange stays right, and a
rewrite would have to round the adjusted prices (a 3-for-2 split gives non-terminating decimals), which
could move a stored 6-decimal percent change. Readers present prices in today's basis with `present`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any

from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.errors import DataIntegrityError, MoversError

ADJUSTED = "adjusted"  # split-adjusted as of the fetch (Massive's default)
UNADJUSTED = "unadjusted"  # as traded (Alpha Vantage TIME_SERIES_DAILY, Tiingo's raw columns)
UNKNOWN = "unknown"  # an item stored before the basis was recorded
BASES = (ADJUSTED, UNADJUSTED)
PRESENT_PLACES = 8  # the stores' price scale (Parquet decimal128(28, 8))
MAX_RATIO = 1_000_000  # a split term beyond this is a data error (real ones are at most a few thousand)
_SYMBOL = re.compile(r"[A-Z][A-Z0-9.\-]{0,11}")


class InvalidSplit(MoversError):
    """A split event that cannot be used (named field and reason); nothing of it is stored."""

    def __init__(self, ticker: str, reason: str) -> None:
        super().__init__(f"split of {ticker}: {reason}")
        self.ticker = ticker
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.ticker, self.reason))


class MixedBasis(DataIntegrityError):
    """The bars of one day were fetched in different price bases; the day is refused (one day's rows
    must all be in one basis for its Parquet object and board to be comparable)."""

    def __init__(self, bases: Iterable[str]) -> None:
        self.bases = sorted(set(bases))
        super().__init__(f"the day's bars are in different price bases: {', '.join(self.bases)}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.bases,))


@dataclass(frozen=True)
class Split:
    """A split executed at the open of `date`: `split_from` old shares became `split_to` new ones (a
    4-for-1 split is from 1, to 4; a 1-for-10 reverse split is from 10, to 1)."""

    ticker: str
    date: dt.date
    split_from: Decimal
    split_to: Decimal

    @property
    def ratio(self) -> Fraction:
        """What an older price is multiplied by to be in the post-split basis (from / to)."""
        return Fraction(self.split_from) / Fraction(self.split_to)

    def to_dict(self) -> dict[str, str]:
        return {
            "ticker": self.ticker,
            "date": self.date.isoformat(),
            "splitFrom": str(self.split_from),
            "splitTo": str(self.split_to),
        }


def parse_split(ticker: object, date: object, split_from: object, split_to: object) -> Split:
    """A checked Split; InvalidSplit naming the field otherwise (a ratio must be a positive finite number
    at most MAX_RATIO, and the two terms must differ)."""
    name = ticker if isinstance(ticker, str) else "?"
    if not isinstance(ticker, str) or not _SYMBOL.fullmatch(ticker):
        raise InvalidSplit(str(name)[:12], "ticker is not a symbol")
    if not isinstance(date, str):
        raise InvalidSplit(name, "execution date is missing")
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise InvalidSplit(name, f"execution date is not YYYY-MM-DD: {date[:20]!r}") from None
    terms = []
    for field, value in (("split_from", split_from), ("split_to", split_to)):
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise InvalidSplit(name, f"{field} is not a number")
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            raise InvalidSplit(name, f"{field} is not a number") from None
        if not number.is_finite() or not 0 < number <= MAX_RATIO:
            raise InvalidSplit(name, f"{field} must be > 0 and <= {MAX_RATIO}, got {str(value)[:20]}")
        terms.append(number.normalize())
    if terms[0] == terms[1]:
        raise InvalidSplit(name, "split_from equals split_to (not a split)")
    return Split(name, day, terms[0], terms[1])


def adjusted_through(basis: str | None, bar_date: dt.date, fetched_at: str | None) -> dt.date | None:
    """The last execution date whose splits a stored bar already carries; None when it is not known (an
    item without a recorded basis, or an adjusted bar without a fetch time)."""
    if basis == UNADJUSTED:
        return bar_date
    if basis == ADJUSTED and fetched_at:
        try:
            at = dt.datetime.fromisoformat(fetched_at)
        except ValueError:
            return None
        if at.tzinfo is None:
            return None
        return max(bar_date, at.astimezone(NEW_YORK).date())
    return None


def factor(splits: Iterable[Split], bar_date: dt.date, through: dt.date, today: dt.date) -> Fraction:
    """The product of the ratios of the splits a bar lacks: executed after `through` (and after the bar's
    own day) and on or before `today` (an announced split changes nothing before it executes)."""
    out = Fraction(1)
    for split in splits:
        if bar_date < split.date and through < split.date <= today:
            out *= split.ratio
    return out


def present(value: Decimal, ratio: Fraction, places: int = PRESENT_PLACES) -> Decimal:
    """`value` x `ratio`, exact when it terminates within `places` decimals, else rounded half-even to
    `places` (presentation only: stored values are never rewritten)."""
    if ratio == 1:
        return value
    exact = Fraction(value) * ratio
    scaled = round(exact * 10**places)
    with localcontext() as ctx:
        ctx.prec = max(28, len(str(abs(scaled))) + 2)
        result = Decimal(scaled).scaleb(-places)
        return result.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN).normalize()


def day_basis(bases: Iterable[str]) -> str:
    """The one basis of a day's bars; MixedBasis when they differ (none given: UNKNOWN)."""
    found = set(bases)
    if len(found) > 1:
        raise MixedBasis(found)
    return found.pop() if found else UNKNOWN
