"""GET /movers and GET /movers/{date}: the stored daily winners."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from movers_api import store
from movers_api.errors import PARAM_MESSAGES, BadRequest, NotFound
from movers_api.responses import CACHE_MOVERS, json_response
from movers_api.schemas import NOT_MODIFIED, Mover, errors, json_content

router = Router()

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
# The four keys of the contract, in this order; anything else on the item stays private.
MOVER_KEYS = ("Date", "Ticker", "PercentChange", "ClosingPrice")

DateParam = Annotated[
    str,
    Path(
        description="Trading date, YYYY-MM-DD",
        pattern=DATE_PATTERN,
        json_schema_extra={"format": "date"},
        examples=["2026-01-05"],
    ),
]


def parse_date(value: str) -> str:
    """The date if it is a real calendar date in YYYY-MM-DD form, else BadRequest."""
    try:
        parsed = dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(PARAM_MESSAGES["date"]) from None
    if parsed.isoformat() != value:  # fromisoformat also takes e.g. "20260105"
        raise BadRequest(PARAM_MESSAGES["date"])
    return value


def mover(item: dict) -> dict:
    """The contract view of a winner item."""
    return {key: item[key] for key in MOVER_KEYS}


@router.get(
    "/movers",
    summary="Latest daily movers, newest first",
    responses={200: json_content(list[Mover], "Newest first"), **NOT_MODIFIED, **errors(400, 500)},
)
def list_movers(
    limit: Annotated[int, Query(ge=1, le=30, description="How many trading days (1-30)")] = 7,
):
    items = store.latest("MOVERS", limit)
    return json_response(
        [mover(item) for item in items],
        cache_control=CACHE_MOVERS,
        if_none_match=router.current_event.headers.get("If-None-Match"),
    )


@router.get(
    "/movers/<date>",
    summary="The mover of one trading day",
    responses={200: json_content(Mover, "The day's mover"), **NOT_MODIFIED, **errors(400, 404, 500)},
)
def get_mover(date: DateParam):
    item = store.one("MOVERS", parse_date(date))
    if item is None:
        raise NotFound(f"no mover stored for {date}")
    return json_response(
        mover(item),
        cache_control=CACHE_MOVERS,
        if_none_match=router.current_event.headers.get("If-None-Match"),
    )
