"""GET /analysis/latest and GET /analysis/{date}: the daily analysis summaries (shape owned by analysis)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from movers_api import store
from movers_api.errors import NotFound
from movers_api.params import DateParam
from movers_api.responses import CACHE_MOVERS, json_response
from movers_api.schemas import NOT_MODIFIED, errors, json_content

router = Router()

# The table's key attributes are storage details, not part of the summary.
_KEY_ATTRIBUTES = ("pk", "sk")


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key not in _KEY_ATTRIBUTES}


def _respond(item: dict[str, Any]):
    return json_response(
        _summary(item),
        cache_control=CACHE_MOVERS,
        if_none_match=router.current_event.headers.get("If-None-Match"),
    )


@router.get(
    "/analysis/latest",
    summary="The newest daily analysis summary",
    responses={200: json_content(dict[str, Any], "Analysis summary"), **NOT_MODIFIED, **errors(404, 500)},
)
def latest_analysis():
    item = store.newest_analysis()
    if item is None:
        raise NotFound("no analysis stored yet")
    return _respond(item)


@router.get(
    "/analysis/<date>",
    summary="The daily analysis summary of one trading day",
    responses={
        200: json_content(dict[str, Any], "Analysis summary"),
        **NOT_MODIFIED,
        **errors(400, 404, 500),
    },
)
def analysis_for(date: DateParam):
    item = store.analysis(date)
    if item is None:
        raise NotFound(f"no analysis stored for {date}")
    return _respond(item)
