"""The read API's settings, apart from the pipeline's: its cold start loads only this module, the resources
and the core (docs/benchmarks.md, the API cold import)."""

from __future__ import annotations

from dataclasses import dataclass

from stock_movers.settings.core import env, traced
from stock_movers.settings.resources import MainTable


@dataclass(frozen=True)
class ApiService:
    """The read API: its CORS origin, its Powertools service name and whether it traces."""

    cors_allow_origin: str = env("CORS_ALLOW_ORIGIN", default="*")
    service_name: str = env("POWERTOOLS_SERVICE_NAME", default="movers-api")
    tracing: bool = env("POWERTOOLS_TRACE_DISABLED", traced, default="true")


@dataclass(frozen=True)
class ApiSettings:
    table: MainTable
    service: ApiService
