"""The provider + shared rate limiter + raw store wiring of every function that calls a market-data API.

One place builds it, so the daily fetch and the backfill's range fetch take slots from the same DynamoDB
sliding-window log (same id: provider and a digest of the key) with the same settings, and count calls the
same way. It also answers a fetch that found no slot (`wait_answer`) the same way for both functions.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from stock_movers.adapters.ratelimiter import SlidingWindowLimiter, SlotUnavailable
from stock_movers.adapters.secrets import api_key
from stock_movers.adapters.storage import RawStore
from stock_movers.observability import logger, metrics
from stock_movers.providers import make_provider
from stock_movers.providers.factory import TIMEOUT_SECONDS
from stock_movers.settings import SettingsError
from stock_movers.settings.functions import FetchSettings
from stock_movers.usecases.fetch import FetchContext, slot_wait

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig


def count_call(waited: float) -> None:
    """Metrics hook: one ProviderCalls per call, and the seconds it waited in-function for a slot."""
    metrics.add_metric(name="ProviderCalls", unit=MetricUnit.Count, value=1)
    if waited > 0:
        metrics.add_metric(name="RateLimitedWaitSeconds", unit=MetricUnit.Seconds, value=waited)


_deadline: ContextVar[float | None] = ContextVar("invocation_deadline", default=None)


def invocation(context: Any) -> None:
    """Remember when this Lambda invocation will be stopped (its timeout), for the rate limiter: a slot's
    wait must leave the call its time, and a call stopped with the invocation cannot reach the provider
    later. A context without a clock (tests, scripts) means no deadline."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    _deadline.set(time.time() + remaining() / 1000.0 if callable(remaining) else None)


def invocation_deadline() -> float | None:
    """When the running invocation will be stopped (epoch seconds), as `invocation` recorded it."""
    return _deadline.get()


@dataclass(frozen=True)
class Source:
    """One provider a fetch can call: the primary (source 0) or a failover provider (1, 2, ...), each with
    its own base URL, its own key's secret and its own plan (rate-limit window)."""

    index: int
    name: str
    base_url: str | None
    api_key_secret_arn: str
    calls: int
    period_seconds: float


def sources(settings: FetchSettings) -> tuple[Source, ...]:
    """The providers a fetch may call, in failover order: the primary, then settings.failover's (fetch_bars
    only; fetch_range and the reconcile have the primary alone)."""
    primary = Source(
        0,
        settings.provider.name,
        settings.access.base_url,
        settings.access.api_key_secret_arn,
        settings.rate_limit.calls,
        settings.rate_limit.period_seconds,
    )
    failover = getattr(getattr(settings, "failover", None), "providers", ())
    others = (
        Source(i, f.name, f.base_url, f.api_key_secret_arn, f.rate_limit_calls, f.rate_limit_period_seconds)
        for i, f in enumerate(failover, start=1)
    )
    return (primary, *others)


def source_of(settings: FetchSettings, index: int) -> Source:
    """Source `index`; SettingsError when this function has no such provider (Validate Input listed more
    providers than fetch_bars is configured with: a deployment out of step, not a provider fault)."""
    configured = sources(settings)
    if not 0 <= index < len(configured):
        raise SettingsError(
            "fetch_bars",
            {"FAILOVER_PROVIDERS": f"has no provider {index} (configured: {len(configured) - 1} failover)"},
        )
    return configured[index]


def fetch_context(settings: FetchSettings, key: str, source: Source | None = None) -> FetchContext:
    """A provider (one HTTP session) and the shared limiter for `key`; cache it per key in warm workers.
    Each source's limiter is its own (provider name and key digest), with its own plan's window."""
    src = source or sources(settings)[0]
    limit = settings.rate_limit
    return FetchContext(
        provider=make_provider(src.name, api_key=key, base_url=src.base_url),
        limiter=SlidingWindowLimiter(
            settings.control.name,
            src.name,
            key,
            src.calls,
            src.period_seconds,
            allowance_seconds=limit.allowance_seconds,
            max_flight_seconds=2 * TIMEOUT_SECONDS,
        ),
        raw=RawStore(settings.bucket.name),
        max_wait_seconds=limit.max_wait_seconds,
        on_call=count_call,
        deadline=invocation_deadline,
    )


@cache
def _context_for(settings: FetchSettings, key: str, source: Source) -> FetchContext:
    return fetch_context(settings, key, source)


def provider_context(settings: FetchSettings, index: int = 0) -> FetchContext:
    """The context of provider `index` (0: the primary; 1, 2, ...: the failover providers in order) for
    its current API key (read from its own secret, cached by Powertools): one per source and key, reused
    while the worker is warm, and a rotated key gets its own."""
    source = source_of(settings, index)
    key = api_key(source.api_key_secret_arn, settings.access.api_key_cache_seconds)
    return _context_for(settings, key, source)


def wait_answer(exc: SlotUnavailable, event: dict[str, Any], settings: FetchSettings) -> dict[str, Any]:
    """A fetch that found no slot answers `{"status": "Wait", "waitSeconds", "waitingSince"}` (or, past the
    wait budget, `{"status": "RateLimited"}`) instead of failing: waiting for the quota is no Lambda error.
    `event["slot"]["waitingSince"]` carries the first wait's start through the state machine's wait loop."""
    slot = event.get("slot")
    since = slot.get("waitingSince") if isinstance(slot, dict) else None
    since = float(since) if isinstance(since, int | float) and not isinstance(since, bool) else None
    answer = slot_wait(exc.retry_after, since, time.time(), settings.rate_limit.wait_budget_seconds)
    metrics.add_metric(name="RateLimitWaits", unit=MetricUnit.Count, value=1)
    logger.info("No rate-limit slot yet", extra={"answer": answer})
    return answer


def idempotency(
    key_fields: str, settings: FetchSettings
) -> tuple[IdempotencyConfig, DynamoDBPersistenceLayer]:
    """Powertools idempotency keyed by `key_fields` (a JMESPath list such as "[provider, ticker, date,
    execution]") in the control table, remembered for IDEMPOTENCY_TTL_SECONDS: a retry or a redrive of one
    execution spends no quota twice. The in-progress lock lasts until the invocation's own deadline
    (`register_lambda_context` in the handler), so a crashed fetch frees it by the function timeout."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

    config = IdempotencyConfig(
        event_key_jmespath=key_fields,
        expires_after_seconds=settings.idempotency.ttl_seconds,
        raise_on_no_idempotency_key=True,
    )
    store = DynamoDBPersistenceLayer(
        table_name=settings.control.name, key_attr="id", expiry_attr="expiration"
    )
    return config, store


class LazyIdempotent:
    """``idempotent_function(data_keyword_argument="request")`` with :func:`idempotency`'s config and store,
    built on the first call instead of at import.

    Powertools' idempotency package imports boto3 and its DynamoDB store creates a client: ~146 ms of a
    cold start's init, paid before the handler runs. Built lazily, that cost lands on the first call, which
    needs boto3 anyway. Records are keyed as before (the wrapped function's own name).
    """

    def __init__(self, key_fields: str, settings: FetchSettings) -> None:
        self._key_fields = key_fields
        self._settings = settings
        self._config: IdempotencyConfig | None = None
        self._context: Any = None

    def register_lambda_context(self, context: Any) -> None:
        """As ``IdempotencyConfig.register_lambda_context``: in-progress records expire with the invoke."""
        self._context = context
        if self._config is not None:
            self._config.register_lambda_context(context)

    def __call__(self, fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        decorated: Callable[..., dict[str, Any]] | None = None

        @functools.wraps(fn)
        def call(*, request: dict[str, Any]) -> dict[str, Any]:
            nonlocal decorated
            if decorated is None:
                from aws_lambda_powertools.utilities.idempotency import idempotent_function

                config, store = idempotency(self._key_fields, self._settings)
                self._config = config
                if self._context is not None:
                    config.register_lambda_context(self._context)
                decorated = idempotent_function(
                    data_keyword_argument="request", config=config, persistence_store=store
                )(fn)
            return decorated(request=request)

        return call
