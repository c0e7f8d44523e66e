"""fetch_range: one provider call for a ticker's span through the limiter, bars kept in S3, idempotent per
execution (Powertools idempotency over the in-process control table); the provider is a fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.domain.errors import InvalidInput
from stock_movers.usecases.fetch import FetchContext
from tests.unit.test_backfill_store import FakeLimiter, FakeProvider, FakeRaw, bar

DAYS = [dt.date(2026, 1, 5), dt.date(2026, 1, 6)]


@pytest.fixture
def fetch_range(
    aws: Any, load_handler: Callable[..., ModuleType], monkeypatch: pytest.MonkeyPatch
) -> tuple[ModuleType, FakeProvider, FakeRaw]:
    app = load_handler("fetch_range")
    provider, raw = FakeProvider([bar("AAPL", d, "100", "101") for d in DAYS]), FakeRaw()
    ctx = FetchContext(provider=provider, limiter=FakeLimiter(), raw=raw, max_wait_seconds=1)  # type: ignore[arg-type]
    monkeypatch.setattr(app, "provider_context", lambda settings: ctx)
    return app, provider, raw


def test_the_span_is_fetched_once_per_execution(fetch_range: Any, lambda_context: object) -> None:
    app, provider, raw = fetch_range
    event = {"ticker": "AAPL", "from": "2026-01-05", "to": "2026-01-06", "executionName": "backfill-1"}
    # When fetched, and again by a retry of the same execution
    out = app.handler(event, lambda_context)
    again = app.handler(event, lambda_context)
    # Then Fetched with the work object's key and two bars; the retry made no second call
    assert out["status"] == "Fetched" and out["bars"] == 2 and out["barsKey"] in raw.objects
    assert again == out and len(provider.calls) == 1


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"ticker": "AAPL", "from": "2026-01-06", "to": "2026-01-05"}, "from"),
        ({"ticker": "$$", "from": "2026-01-05", "to": "2026-01-06"}, "ticker"),
    ],
)
def test_bad_input_names_the_field_and_calls_nothing(
    fetch_range: Any, lambda_context: object, event: dict[str, str], field: str
) -> None:
    app, provider, _ = fetch_range
    with pytest.raises(InvalidInput) as raised:
        app.handler(event, lambda_context)
    assert raised.value.field == field and provider.calls == []
