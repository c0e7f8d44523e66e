"""GET /health: liveness of the function itself; deliberately no DynamoDB call (cheap, never cached)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from movers_api.responses import CACHE_NONE, json_response
from movers_api.schemas import Health, errors, json_content

router = Router()


@router.get(
    "/health", summary="Liveness check", responses={200: json_content(Health, "Alive"), **errors(500)}
)
def health():
    return json_response({"status": "ok"}, cache_control=CACHE_NONE)
