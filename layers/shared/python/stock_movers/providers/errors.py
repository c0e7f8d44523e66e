"""Provider errors. The class name is what Step Functions sees (`errorType`), so each name is one decision:

- RateLimited, ProviderUnavailable: transient; the state machine retries them with backoff and jitter.
- QuotaExhausted (a RateLimited whose quota resets only after hours, e.g. Alpha Vantage's 25 calls/day):
  not worth retrying inside a run; its own name keeps it out of the RateLimited retry clause.
- ProviderAuthError, PlanLimitError, NoData, MalformedResponse, RequestRejected: the run fails and nothing
  is written.

Messages name the provider, the call and the vendor's own explanation, never the API key or a URL that
carries it.
"""

from __future__ import annotations

from typing import Any

from stock_movers.domain.errors import MoversError


class ProviderError(MoversError):
    """Base of every market-data provider failure."""


class RateLimited(ProviderError):
    """The provider refused the call for rate; `retry_after` is seconds to wait when the vendor said so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.retry_after))


class QuotaExhausted(RateLimited):
    """A daily (or longer) quota is used up; waiting seconds will not help (retry_after is None)."""


class ProviderUnavailable(ProviderError):
    """5xx, timeout or connection failure: the provider could not answer."""


class ProviderAuthError(ProviderError):
    """The API key is missing, unknown or refused (401/403 without a plan message)."""


class PlanLimitError(ProviderError):
    """The key is valid but its plan does not cover the request (history depth, endpoint, premium option)."""


class NoData(ProviderError):
    """No bar exists for the request: not a session, unknown symbol, or nothing in the window."""


class MalformedResponse(ProviderError):
    """The body is not what the vendor documents: bad JSON, missing or mistyped fields, wrong dates."""


class RequestRejected(ProviderError):
    """Any other refusal (an unexpected 4xx or redirect, an unrecognised vendor notice)."""
