"""One ticker's daily OHLCV bar, kept exact with Decimal, and the single place its validity is decided.

Serialised form (`to_dict`) is JSON-safe: the date as ISO `YYYY-MM-DD` and every number as a decimal string,
so no value passes through binary floating point between Lambdas.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from stock_movers.domain.errors import InvalidBar

PRICE_FIELDS = ("open", "high", "low", "close")
NUMBER_FIELDS = (*PRICE_FIELDS, "volume")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def to_decimal(value: object) -> Decimal:
    """Exact Decimal for a str/int/Decimal; floats go through `str()` (shortest repr), never their binary
    expansion. Raises ValueError/TypeError for anything else (bool included)."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value[:40]!r}") from None
    raise TypeError(f"not a number: {type(value).__name__}")


@dataclass(frozen=True)
class DailyBar:
    """A regular-session daily bar. Construction does not validate: call `validate_bar`."""

    ticker: str
    date: dt.date
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def to_dict(self) -> dict[str, str]:
        """JSON-safe dict: ISO date, numbers as exact decimal strings."""
        return {
            "ticker": self.ticker,
            "date": self.date.isoformat(),
            "open": str(self.open),
            "high": str(self.high),
            "low": str(self.low),
            "close": str(self.close),
            "volume": str(self.volume),
        }

    @classmethod
    def from_dict(cls, data: object) -> DailyBar:
        """Inverse of `to_dict`; raises InvalidBar naming the ticker and the missing or malformed field.

        Numbers may be decimal strings, ints or Decimals (floats are accepted via `str()`); keys other than
        the bar's fields are ignored. The result is not range-checked: use `validate_bar` for that.
        """
        if not isinstance(data, Mapping):
            raise InvalidBar("?", f"bar must be an object, got {type(data).__name__}")
        ticker = data.get("ticker")
        if not isinstance(ticker, str) or not ticker:
            raise InvalidBar("?", "missing field 'ticker'")
        raw_date = data.get("date")
        if raw_date is None:
            raise InvalidBar(ticker, "missing field 'date'")
        if not isinstance(raw_date, str) or not _ISO_DATE.fullmatch(raw_date):
            raise InvalidBar(ticker, f"date must be YYYY-MM-DD, got {str(raw_date)[:40]!r}")
        try:
            day = dt.date.fromisoformat(raw_date)
        except ValueError:
            raise InvalidBar(ticker, f"date is not a calendar date: {raw_date!r}") from None
        numbers: dict[str, Decimal] = {}
        for name in NUMBER_FIELDS:
            if data.get(name) is None:
                raise InvalidBar(ticker, f"missing field {name!r}")
            try:
                numbers[name] = to_decimal(data[name])
            except (TypeError, ValueError) as exc:
                raise InvalidBar(ticker, f"{name}: {exc}") from None
        return cls(ticker=ticker, date=day, **numbers)

    @classmethod
    def from_floats(
        cls,
        ticker: str,
        date: dt.date,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float,
    ) -> DailyBar:
        """Build a bar from vendor floats via `Decimal(str(x))`: 74.06 stays 74.06, not a binary expansion."""
        return cls(
            ticker=ticker,
            date=date,
            open=Decimal(str(open)),
            high=Decimal(str(high)),
            low=Decimal(str(low)),
            close=Decimal(str(close)),
            volume=Decimal(str(volume)),
        )


# Bounds of a usable bar. Hard limits are what the stores hold exactly: Parquet prices and volume are
# decimal128(28, 8) (at most 8 decimal places, 20 integer digits), pct_change decimal128(18, 6), a DynamoDB
# Number 38 significant digits. The plausible limits sit well inside them and are what a market can print:
# - a price above 0 and at most 10,000,000 USD (the dearest US share, BRK.A, trades below 1,000,000);
# - a volume >= 0 shares with at most 8 decimal places (Massive's `v` is a double and can be fractional:
#   fractional-share trades), at most 10**12 (the whole US market trades about 10**10 a day);
# - a percent change within +-10,000 % (checked with the change, in domain.movers): close at most 101 x
#   open. The largest real one-session moves are hundreds of percent, reached by squeezes and sub-dollar
#   stocks; a bigger one means a data error (a split applied to one field and not the other, a misplaced
#   decimal point), and the day is refused rather than announced. Below -100 % cannot happen (close > 0).
PRICE_MAX = Decimal(10_000_000)
VOLUME_MAX = Decimal(10**12)
PRICE_PLACES = 8  # the Parquet scale of prices and volume (decimal128(28, 8))


def validate_bar(bar: DailyBar) -> DailyBar:
    """`bar` unchanged if it is usable, else InvalidBar naming the ticker, the field and the rule.

    Rules: every number is a finite Decimal; open, high, low, close > 0 (open > 0 is what makes the percent
    change defined) and <= PRICE_MAX with at most PRICE_PLACES decimal places; volume in [0, VOLUME_MAX]
    with at most PRICE_PLACES decimal places (fractional shares are traded and reported); high >=
    max(open, close); low <= min(open, close).
    """
    ticker = bar.ticker if isinstance(bar.ticker, str) and bar.ticker else "?"
    if ticker == "?":
        raise InvalidBar(ticker, "missing field 'ticker'", "ticker")
    if not isinstance(bar.date, dt.date) or isinstance(bar.date, dt.datetime):
        raise InvalidBar(ticker, f"date must be a datetime.date, got {type(bar.date).__name__}", "date")
    for name in NUMBER_FIELDS:
        value = getattr(bar, name)
        if value is None:
            raise InvalidBar(ticker, f"missing field {name!r}", name)
        if not isinstance(value, Decimal):
            raise InvalidBar(ticker, f"{name} must be a Decimal, got {type(value).__name__}", name)
        if not value.is_finite():
            raise InvalidBar(ticker, f"{name} is not finite: {value}", name)
    for name in PRICE_FIELDS:
        value = getattr(bar, name)
        if value <= 0:
            raise InvalidBar(ticker, f"{name} must be > 0, got {_short(value)}", name)
        if value > PRICE_MAX:
            raise InvalidBar(ticker, f"{name} {_short(value)} is above the maximum price {PRICE_MAX}", name)
        if not _has_places(value, PRICE_PLACES):
            raise InvalidBar(
                ticker, f"{name} {_short(value)} has more than {PRICE_PLACES} decimal places", name
            )
    if bar.volume < 0:
        raise InvalidBar(ticker, f"volume must be >= 0, got {_short(bar.volume)}", "volume")
    if bar.volume > VOLUME_MAX:
        raise InvalidBar(ticker, f"volume {_short(bar.volume)} is above the maximum {VOLUME_MAX}", "volume")
    if not _has_places(bar.volume, PRICE_PLACES):
        raise InvalidBar(
            ticker, f"volume {_short(bar.volume)} has more than {PRICE_PLACES} decimal places", "volume"
        )
    if bar.high < max(bar.open, bar.close):
        raise InvalidBar(
            ticker, f"high {bar.high} is below max(open, close) {max(bar.open, bar.close)}", "high"
        )
    if bar.low > min(bar.open, bar.close):
        raise InvalidBar(ticker, f"low {bar.low} is above min(open, close) {min(bar.open, bar.close)}", "low")
    return bar


def _has_places(value: Decimal, places: int) -> bool:
    """True when `value` (finite, magnitude already bounded) has no non-zero digit beyond `places`."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return exponent >= -places or value == value.quantize(Decimal(1).scaleb(-places))


def _short(value: Decimal) -> str:
    """`value` for a message, at most 40 characters (a hostile number can have thousands of digits)."""
    text = str(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
