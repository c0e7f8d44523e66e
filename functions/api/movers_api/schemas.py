"""Response shapes, used only to document the OpenAPI spec (the routes build plain dicts)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict
from typing_extensions import TypedDict


class Mover(TypedDict):
    """A day's biggest mover (contract: exactly these four keys)."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    Date: str
    Ticker: str
    PercentChange: float
    ClosingPrice: float


class Leader(TypedDict):
    """One entry of a day's gainers or losers."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    Ticker: str
    PercentChange: float
    ClosingPrice: float


class Leaders(TypedDict):
    """A day's top gainers (PercentChange descending) and losers (ascending), ties by ticker ascending."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    Date: str
    Scope: str
    Gainers: list[Leader]
    Losers: list[Leader]


class TickerDay(TypedDict):
    """One ticker's bar for one trading day. Prices are in the basis `Basis` names: "adjusted" (split-
    adjusted through every split stored by the time of the request: the stored prices x `AdjustmentFactor`
    when the bar was fetched before a split), "unadjusted" (as traded, as stored) or "unknown" (a bar stored
    before the basis was recorded, shown as stored). PercentChange is same-day open to close, the same in
    every basis."""

    Date: str
    Ticker: str
    Open: float
    High: float
    Low: float
    Close: float
    Volume: float
    PercentChange: float
    Basis: Literal["adjusted", "unadjusted", "unknown"]
    AdjustmentFactor: float
    StoredBasis: Literal["adjusted", "unadjusted", "unknown"]
    Provider: str | None
    FetchedAt: str | None


class Error(TypedDict):
    """The one error shape."""

    error: str
    message: str


class Health(TypedDict):
    status: str


def json_content(model: Any, description: str) -> Any:
    """A ``responses`` entry with a JSON body of ``model``."""
    return {"description": description, "content": {"application/json": {"model": model}}}


def errors(*codes: int) -> dict[int, Any]:
    """``responses`` entries for the error codes a route can answer."""
    text = {
        400: "Invalid parameter",
        404: "Not found",
        500: "Internal error",
    }
    return {code: json_content(Error, text[code]) for code in codes}


NOT_MODIFIED: dict[int, Any] = {304: {"description": "Not modified (If-None-Match matched the ETag)"}}
