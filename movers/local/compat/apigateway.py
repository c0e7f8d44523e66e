"""API Gateway: importing our OpenAPI body.

Part of :mod:`movers.local.compat` (see its docstring); each fix is tested in ``tests/local``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def fix_openapi_import_mock_integration() -> None:
    """Imports OpenAPI operations whose ``x-amazon-apigateway-integration`` has no ``uri``/``httpMethod``.

    API Gateway's PutRestApi accepts a MOCK integration (our CORS preflight OPTIONS operations) without a
    ``uri`` and ``httpMethod``; moto's import passes only the keys present to ``put_integration``, whose
    ``uri`` and ``integration_method`` are required, and answers 500. Passing them as None (what AWS stores:
    no uri, no method for MOCK) keeps every other integration exactly as moto imports it. The type is
    upper-cased as AWS stores it (the extension's ``mock``/``aws_proxy`` read back as MOCK/AWS_PROXY).
    """
    from moto.apigateway.models import APIGatewayBackend

    # moto types uri and integration_method as str; None is what a mock integration has.
    original: Callable[..., Any] = APIGatewayBackend.put_integration

    def put_integration(
        self: Any,
        function_id: str,
        resource_id: str,
        method_type: str,
        integration_type: str,
        uri: str | None = None,
        integration_method: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        # The extension spells types in any case ("aws_proxy", "mock"); AWS stores them upper-case.
        kind = integration_type.upper() if isinstance(integration_type, str) else integration_type
        return original(
            self, function_id, resource_id, method_type, kind, uri, integration_method, *args, **kwargs
        )

    APIGatewayBackend.put_integration = put_integration  # type: ignore[method-assign]
