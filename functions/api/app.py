"""Lambda entry point of the read API: an API Gateway REST proxy event in, a proxy response out.

The resolver, routes and error mapping live in the ``movers_api`` package beside this file (zipped together
at the zip root); this module only wires the Powertools decorators around ``resolve`` (which also answers
HEAD, as GET without the body).
"""

from typing import Any

from movers_api.observability import instrument
from movers_api.resolver import resolve
from movers_api.settings import settings

__all__ = ["handler", "settings"]


@instrument
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Resolve one proxy event to a proxy response (statusCode, headers, body)."""
    return resolve(event, context)
