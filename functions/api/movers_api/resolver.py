"""The API's resolver: routes from the small route modules, CORS, validation (source of the OpenAPI spec)."""

from __future__ import annotations

import os

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig

from movers_api import analysis, errors, health, movers, tickers

cors = CORSConfig(
    allow_origin=os.environ.get("CORS_ALLOW_ORIGIN", "*") or "*",
    allow_headers=["If-None-Match"],
    expose_headers=["ETag"],
    max_age=600,
)

app = APIGatewayRestResolver(enable_validation=True, cors=cors)
for module in (movers, tickers, analysis, health):
    app.include_router(module.router)
errors.register(app)
