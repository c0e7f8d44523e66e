"""Raw provider bodies as stored in S3, parsed without HTTP (the restore drill, movers/cli/replay.py): one
parser per provider, each with its live adapter's field and date rules.

A per-ticker body of a provider in SERIES_BODIES holds more than was asked for (Alpha Vantage's compact
series: the latest ~100 sessions whatever the day or range), and the live adapter took the bars it needed
from it; the reader does the same. Every other provider's body holds only what was asked for, so a bar for
another date in it is the provider's error and refuses the day.
"""

from __future__ import annotations

from collections.abc import Callable

from stock_movers.domain.bars import DailyBar
from stock_movers.providers import alphavantage, massive, tiingo

Parser = Callable[[bytes, "str | None", str], tuple[DailyBar, ...]]

PARSERS: dict[str, Parser] = {
    "massive": massive.parse_stored_body,
    "alphavantage": alphavantage.parse_stored_body,
    "tiingo": tiingo.parse_stored_body,
}
SERIES_BODIES = frozenset({"alphavantage"})


def parser_of(provider: str) -> Parser:
    """The stored-body parser of `provider`; ValueError naming an unknown one."""
    parser = PARSERS.get(provider) if isinstance(provider, str) else None
    if parser is None:
        raise ValueError(
            f"provider: unknown provider {provider!r}; expected one of {', '.join(sorted(PARSERS))}"
        )
    return parser
