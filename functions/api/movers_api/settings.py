"""The API function's settings (stock_movers.settings.ApiSettings), read and validated once, at import."""

from __future__ import annotations

from stock_movers.settings import load
from stock_movers.settings.api import ApiSettings

settings = load(ApiSettings)
