"""analysis_store: the day's summary stored as an item and a Parquet object, and the report worded."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.adapters.storage import ANALYSIS_PK
from stock_movers.domain.errors import InvalidInput
from tests.unit.handlers.conftest import BUCKET, TABLE

pytest.importorskip("pyarrow")


def test_the_summary_is_stored_twice_and_reported(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given one ticker's figures for a day without a stored winner
    app = load_handler("analysis_store")
    analysis = {
        "ticker": "AAPL",
        "percentChange": "1.5",
        "volatility": None,
        "zScore": None,
        "unusual": False,
        "sessions": 1,
        "reasons": ["too few sessions"],
    }
    # When stored
    out = app.handler({"date": "2026-01-05", "analyses": [analysis], "executionName": "a"}, lambda_context)
    # Then the result names the Parquet key, which exists, and the summary item is in the table
    assert set(out) == {"date", "status", "unusual", "parquetKey", "subject", "message"}
    assert out["date"] == "2026-01-05" and out["unusual"] == []
    aws["s3"].head_object(Bucket=BUCKET, Key=out["parquetKey"])
    items = aws["dynamodb"].scan(TableName=TABLE)["Items"]
    assert [i["pk"]["S"] for i in items] == [ANALYSIS_PK]


def test_analyses_must_be_a_list(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    app = load_handler("analysis_store")
    with pytest.raises(InvalidInput) as raised:
        app.handler({"date": "2026-01-05", "analyses": "AAPL"}, lambda_context)
    assert raised.value.field == "analyses"
    assert aws["dynamodb"].scan(TableName=TABLE)["Items"] == []
