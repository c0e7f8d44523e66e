"""The provider + shared rate limiter + raw store wiring of every function that calls a market-data API.

One place builds it, so the daily fetch and the backfill's range fetch take tokens from the same DynamoDB
bucket (same id: provider and a digest of the key) with the same settings, and count calls the same way.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from stock_movers.adapters.ratelimiter import TokenBucket
from stock_movers.adapters.storage import RawStore
from stock_movers.observability import metrics
from stock_movers.providers import make_provider
from stock_movers.settings import Settings
from stock_movers.usecases.fetch import FetchContext


def count_call(waited: float) -> None:
    """Metrics hook: one ProviderCalls per call, and the seconds it waited for a token."""
    metrics.add_metric(name="ProviderCalls", unit=MetricUnit.Count, value=1)
    if waited > 0:
        metrics.add_metric(name="RateLimitedWaitSeconds", unit=MetricUnit.Seconds, value=waited)


def fetch_context(settings: Settings, key: str) -> FetchContext:
    """A provider (one HTTP session) and the shared limiter for `key`; cache it per key in warm workers."""
    return FetchContext(
        provider=make_provider(settings.provider, api_key=key, base_url=settings.provider_base_url),
        limiter=TokenBucket(
            settings.control_table_name,
            settings.provider,
            key,
            settings.rate_limit_calls,
            settings.rate_limit_period_seconds,
            allowance_seconds=settings.rate_limit_allowance_seconds,
        ),
        raw=RawStore(settings.bucket_name),
        max_wait_seconds=settings.rate_limit_max_wait_seconds,
        on_call=count_call,
    )
