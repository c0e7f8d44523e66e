"""The API's parameter types, each parsed by the project's one input parser (stock_movers.domain.inputs).

Powertools validates parameters with Pydantic, whose lax mode turns "+5", " 5", "05", "5.0" and "1_0" into
the integer 5; and its route regex ends in ``$``, which also matches before a trailing newline. Here every
parameter is first given, as the client sent it, to the strict parser (``BeforeValidator``), which refuses
anything but the exact canonical form; the ``Query``/``Path`` rules stay for the OpenAPI document. A
repeated query parameter (``limit=1&limit=2``) reaches the parser as a list and is refused, never resolved
to the first or the last value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from annotated_types import Interval
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BeforeValidator, StringConstraints

from stock_movers.domain import inputs
from stock_movers.domain.errors import InvalidInput

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SYMBOL_PATTERN = "^" + inputs.TICKER_RE.pattern + "$"


def _strict(parse: Callable[[Any], Any]) -> BeforeValidator:
    """A Pydantic validator around a strict parser: InvalidInput becomes a validation error (-> 400)."""

    def validate(value: Any) -> Any:
        try:
            return parse(value)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None

    return BeforeValidator(validate)


def _count(name: str, low: int, high: int) -> BeforeValidator:
    return _strict(lambda value: inputs.parse_count(value, name, low=low, high=high))


# The bounds ride as ``Interval`` and ``StringConstraints`` metadata, not as ``Query(ge=, le=)`` or
# ``Path(pattern=)``: beside a validator, Powertools carries only metadata constraints into the OpenAPI
# schema.
Limit = Annotated[
    int,
    Query(description="How many trading days (1-30)"),
    Interval(ge=1, le=30),
    _count("limit", 1, 30),
]

Days = Annotated[
    int,
    Query(description="How many trading days (1-365)"),
    Interval(ge=1, le=365),
    _count("days", 1, 365),
]

DateParam = Annotated[
    str,
    Path(
        description="Trading date, YYYY-MM-DD (a real calendar date)",
        json_schema_extra={"format": "date"},
        examples=["2026-01-05"],
    ),
    StringConstraints(pattern=DATE_PATTERN),
    _strict(lambda value: inputs.parse_date(value, "date").isoformat()),
]

SymbolParam = Annotated[
    str,
    Path(description="Ticker symbol", examples=["AAPL"]),
    StringConstraints(pattern=SYMBOL_PATTERN),
    _strict(lambda value: inputs.parse_ticker(value, "symbol")),
]


def _choice(name: str, options: tuple[str, ...]) -> BeforeValidator:
    """One of `options`, exactly as written (no case folding, no list of values)."""

    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise InvalidInput(name, f"must be one of {', '.join(options)}")
        return value

    return _strict(parse)


# The leaders route (DESIGN §5): n 1-50 (default 10), scope watchlist|market, and side to ask for one list.
SCOPES = ("watchlist", "market")
LEADER_SIDES = ("both", "gainers", "losers")

LeadersN = Annotated[
    int,
    Query(description="How many gainers and how many losers at most (1-50)"),
    Interval(ge=1, le=50),
    _count("n", 1, 50),
]

Scope = Annotated[
    Literal["watchlist", "market"],
    Query(description="Whose board: the watchlist's or the whole market's"),
    _choice("scope", SCOPES),
]

Side = Annotated[
    Literal["both", "gainers", "losers"],
    Query(description="Which list to fill: both (default), gainers only or losers only (the other is [])"),
    _choice("side", LEADER_SIDES),
]
