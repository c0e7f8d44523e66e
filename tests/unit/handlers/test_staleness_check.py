"""staleness_check: is the latest completed session's winner stored? (the WinnerMissing metric)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.adapters.storage import winner_key
from tests.unit.handlers.conftest import TABLE

TUESDAY_NOON_ET = "2026-01-06T12:00:00-05:00"  # the latest completed session is Monday 2026-01-05


def test_a_missing_then_a_stored_winner(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("staleness_check")
    assert app.handler({"now": TUESDAY_NOON_ET}, lambda_context) == {"date": "2026-01-05", "stored": False}
    aws["dynamodb"].put_item(TableName=TABLE, Item={**winner_key("2026-01-05"), "Ticker": {"S": "AAPL"}})
    assert app.handler({"now": TUESDAY_NOON_ET}, lambda_context) == {"date": "2026-01-05", "stored": True}


@pytest.mark.parametrize("now", ["yesterday", "2026-01-06T12:00:00"])
def test_a_bad_now_is_refused_by_name(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object, now: str
) -> None:
    app = load_handler("staleness_check")
    with pytest.raises(app.BadNow):
        app.handler({"now": now}, lambda_context)
