"""GET /movers and GET /movers/{date}: the stored daily winners; GET /movers/{date}/leaders: a day's board."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from movers_api import store
from movers_api.errors import NotFound
from movers_api.params import DateParam, LeadersN, Limit, Scope, Side
from movers_api.responses import CACHE_MOVERS, json_response
from movers_api.schemas import NOT_MODIFIED, Leaders, Mover, errors, json_content

router = Router()

# The four keys of the contract, in this order; anything else on the item stays private.
MOVER_KEYS = ("Date", "Ticker", "PercentChange", "ClosingPrice")


def mover(item: dict) -> dict:
    """The contract view of a winner item."""
    return {key: item[key] for key in MOVER_KEYS}


@router.get(
    "/movers",
    summary="Latest daily movers, newest first",
    responses={200: json_content(list[Mover], "Newest first"), **NOT_MODIFIED, **errors(400, 500)},
)
def list_movers(
    limit: Limit = 7,
):
    items = store.newest_winners(limit)
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
    item = store.winner(date)
    if item is None:
        raise NotFound(f"no mover stored for {date}")
    return json_response(
        mover(item),
        cache_control=CACHE_MOVERS,
        if_none_match=router.current_event.headers.get("If-None-Match"),
    )


LEADER_KEYS = ("Ticker", "PercentChange", "ClosingPrice")


@router.get(
    "/movers/<date>/leaders",
    summary="The top gainers and losers of one trading day",
    responses={200: json_content(Leaders, "The day's board"), **NOT_MODIFIED, **errors(400, 404, 500)},
)
def get_leaders(
    date: DateParam,
    n: LeadersN = 10,
    scope: Scope = "watchlist",
    side: Side = "both",
):
    # The board item is written in the winner's commit (store_day), already in contract order and cut to the
    # deployment's board size (BOARD_SIZE): n above it answers the stored lists whole.
    item = store.leaders(date, scope)
    if item is None:
        raise NotFound(f"no {scope} leaders stored for {date}")
    lists = {
        key: [{k: entry[k] for k in LEADER_KEYS} for entry in item.get(key, [])[:n]]
        if side in ("both", key.lower())
        else []
        for key in ("Gainers", "Losers")
    }
    return json_response(
        {"Date": item["Date"], "Scope": scope, **lists},
        cache_control=CACHE_MOVERS,
        if_none_match=router.current_event.headers.get("If-None-Match"),
    )
