"""Build a provider from configuration (the `provider` / `provider_base_url` settings and the secret key)."""

from __future__ import annotations

import requests

from stock_movers.providers.alphavantage import AlphaVantageProvider
from stock_movers.providers.base import Provider
from stock_movers.providers.massive import MassiveProvider
from stock_movers.providers.tiingo import TiingoProvider

PROVIDERS: dict[str, type[MassiveProvider] | type[AlphaVantageProvider] | type[TiingoProvider]] = {
    "massive": MassiveProvider,
    "alphavantage": AlphaVantageProvider,
    "tiingo": TiingoProvider,
}

# Seconds for the HTTP connect and, separately, for the read: a call is sent (and so reaches the provider)
# within the first, and over within both.
TIMEOUT_SECONDS = 10.0


def make_provider(
    name: str,
    *,
    api_key: str,
    base_url: str | None = None,
    session: requests.Session | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Provider:
    """The adapter called `name` ("massive", "alphavantage" or "tiingo"); ValueError naming an unknown one.

    `base_url` None (or "") means the vendor's public API; `session` lets a warm Lambda reuse connections.
    """
    cls = PROVIDERS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(
            f"provider: unknown provider {name!r}; expected one of {', '.join(sorted(PROVIDERS))}"
        )
    return cls(api_key=api_key, base_url=base_url or None, session=session, timeout=timeout)
