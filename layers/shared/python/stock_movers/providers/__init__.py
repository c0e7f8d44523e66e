"""Market-data provider adapters (Massive, Alpha Vantage, Tiingo) behind one `Provider` interface."""

from stock_movers.providers.alphavantage import AlphaVantageProvider
from stock_movers.providers.base import FetchResult, Provider
from stock_movers.providers.errors import (
    MalformedResponse,
    NoData,
    PlanLimitError,
    ProviderAuthError,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RequestRejected,
)
from stock_movers.providers.factory import PROVIDERS, make_provider
from stock_movers.providers.massive import MassiveProvider
from stock_movers.providers.tiingo import TiingoProvider

__all__ = [
    "PROVIDERS",
    "AlphaVantageProvider",
    "FetchResult",
    "MalformedResponse",
    "MassiveProvider",
    "NoData",
    "PlanLimitError",
    "Provider",
    "ProviderAuthError",
    "ProviderError",
    "ProviderUnavailable",
    "QuotaExhausted",
    "RateLimited",
    "RequestRejected",
    "TiingoProvider",
    "make_provider",
]
