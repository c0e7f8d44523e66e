"""The market-data provider's settings: which one, how to reach it, its failover, its rate limit."""

from __future__ import annotations

import json
from dataclasses import dataclass

from stock_movers.settings.core import BadValue, env, one_of, optional_text, optional_whole, positive, whole

# Kept equal to stock_movers.providers (PROVIDERS, FETCH_STRATEGIES) by tests/unit/test_settings.py; not
# imported from there, as the providers pull in HTTP libraries every function would then load.
MARKET_PROVIDERS = ("alphavantage", "massive", "tiingo")
FETCH_STRATEGIES = ("per_ticker", "snapshot", "push")


MAX_FAILOVER_PROVIDERS = 3  # variables.tf's failover_providers holds at most this many


def provider_names(raw: str) -> tuple[str, ...]:
    """A comma-separated list of provider names (empty: none), e.g. "tiingo,alphavantage"."""
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    for name in names:
        if name not in MARKET_PROVIDERS:
            raise BadValue(f"names an unknown provider {name!r}; expected {', '.join(MARKET_PROVIDERS)}")
    if len(names) > MAX_FAILOVER_PROVIDERS:
        raise BadValue(f"lists {len(names)} providers, at most {MAX_FAILOVER_PROVIDERS}")
    return names


@dataclass(frozen=True)
class FailoverProvider:
    """One provider the daily fetch fails over to: its adapter, base URL, its own key's secret, its plan."""

    name: str
    base_url: str | None
    api_key_secret_arn: str
    rate_limit_calls: int
    rate_limit_period_seconds: float


_FAILOVER_FIELDS = {"provider", "baseUrl", "apiKeySecretArn", "rateLimitCalls", "rateLimitPeriodSeconds"}


def failover_providers(raw: str) -> tuple[FailoverProvider, ...]:
    """A JSON array of {provider, baseUrl, apiKeySecretArn, rateLimitCalls, rateLimitPeriodSeconds} (Terraform
    writes it from `failover_providers`), in failover order."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise BadValue("must be a JSON array") from None
    if not isinstance(data, list):
        raise BadValue("must be a JSON array")
    if len(data) > MAX_FAILOVER_PROVIDERS:
        raise BadValue(f"lists {len(data)} providers, at most {MAX_FAILOVER_PROVIDERS}")
    out: list[FailoverProvider] = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or set(item) != _FAILOVER_FIELDS:
            raise BadValue(f"entry {i} must have exactly the fields {', '.join(sorted(_FAILOVER_FIELDS))}")
        name, url, arn = item["provider"], item["baseUrl"], item["apiKeySecretArn"]
        calls, period = item["rateLimitCalls"], item["rateLimitPeriodSeconds"]
        if name not in MARKET_PROVIDERS:
            raise BadValue(f"entry {i} names an unknown provider {name!r}")
        if not isinstance(url, str) or not isinstance(arn, str) or not arn:
            raise BadValue(f"entry {i}: baseUrl must be a string and apiKeySecretArn a non-empty string")
        if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
            raise BadValue(f"entry {i}: rateLimitCalls must be a whole number >= 1")
        if isinstance(period, bool) or not isinstance(period, int | float) or not 0 < period < float("inf"):
            raise BadValue(f"entry {i}: rateLimitPeriodSeconds must be a positive number")
        out.append(FailoverProvider(name, url or None, arn, calls, float(period)))
    return tuple(out)


@dataclass(frozen=True)
class MarketProvider:
    """Which market-data provider the stack is configured for."""

    name: str = env("MARKET_PROVIDER", one_of(*MARKET_PROVIDERS), default="massive")
    # The plan's calls a day (0: no daily quota; empty: the adapter's free-plan figure, see providers.base).
    daily_calls: int | None = env("PROVIDER_DAILY_CALLS", optional_whole(0), default="", empty_ok=True)


@dataclass(frozen=True)
class FetchStrategy:
    """The daily run's fetch strategy."""

    name: str = env("FETCH_STRATEGY", one_of(*FETCH_STRATEGIES), default="per_ticker")


@dataclass(frozen=True)
class ProviderAccess:
    """How to reach the provider: its base URL (empty: its public URL) and the API key's secret."""

    base_url: str | None = env("PROVIDER_BASE_URL", optional_text, default="", empty_ok=True)
    api_key_secret_arn: str = env("API_KEY_SECRET_ARN")
    # A rotated key takes effect within this many seconds (0: read the secret on every call).
    api_key_cache_seconds: int = env("API_KEY_CACHE_SECONDS", whole(0), default="300")


@dataclass(frozen=True)
class Failover:
    """The providers the daily fetch fails over to, in order, after the primary's retries (see wiring)."""

    providers: tuple[FailoverProvider, ...] = env("FAILOVER_PROVIDERS", failover_providers, default="[]")


@dataclass(frozen=True)
class FailoverNames:
    """Only the names of the failover providers, in order (Validate Input lists the run's providers)."""

    names: tuple[str, ...] = env("FAILOVER_PROVIDER_NAMES", provider_names, default="", empty_ok=True)


@dataclass(frozen=True)
class RateLimit:
    """The shared sliding-window limiter of provider calls (see usecases.wiring)."""

    calls: int = env("RATE_LIMIT_CALLS", whole(1), default="5")
    period_seconds: float = env("RATE_LIMIT_PERIOD_SECONDS", positive, default="60")
    max_wait_seconds: float = env("RATE_LIMIT_MAX_WAIT_SECONDS", positive, default="20")
    allowance_seconds: float = env("RATE_LIMIT_ALLOWANCE_SECONDS", positive, default="0.5")
    wait_budget_seconds: float = env("RATE_LIMIT_WAIT_BUDGET_SECONDS", positive, default="1800")


@dataclass(frozen=True)
class Idempotency:
    """How long a fetch is remembered per execution (Powertools idempotency in the control table)."""

    ttl_seconds: int = env("IDEMPOTENCY_TTL_SECONDS", whole(60), default="3600")
