"""analysis_store: the batches' figures read back and checked, the summary stored as an item and a Parquet
object, and the report worded."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from stock_movers.adapters.storage import ANALYSIS_PK, analysis_work_key
from stock_movers.domain.errors import InvalidAnalysisBatch, InvalidInput, MissingAnalysisBatch
from tests.unit.handlers.conftest import BUCKET, TABLE

pytest.importorskip("pyarrow")

DAY = "2026-01-05"
FIGURES = {
    "ticker": "AAPL",
    "percentChange": "1.5",
    "volatility": None,
    "zScore": None,
    "unusual": False,
    "sessions": 1,
    "reasons": ["too few sessions"],
}


def _batch(
    aws: Any, execution: str, batch: int, analyses: list[dict[str, Any]], **over: Any
) -> dict[str, Any]:
    """Given batch `batch`'s work object as Analyse Tickers leaves it; returns its answer."""
    key = analysis_work_key(execution, batch)
    body = {"date": DAY, "execution": execution, "batch": batch,
            "tickers": [a["ticker"] for a in analyses], "analyses": analyses, **over}  # fmt: skip
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=json.dumps(body).encode())
    return {"batch": batch, "key": key, "tickers": len(analyses), "partial": 0, "unusual": []}


def _event(execution: str, plan: list[list[str]], results: list[dict[str, Any]]) -> dict[str, Any]:
    batches = [{"batch": i, "tickers": t} for i, t in enumerate(plan)]
    return {"date": DAY, "batches": batches, "results": results, "executionName": execution}


def test_the_summary_is_stored_twice_and_reported(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given two batches' figures for a day without a stored winner
    app = load_handler("analysis_store")
    results = [_batch(aws, "a", 0, [FIGURES]), _batch(aws, "a", 1, [{**FIGURES, "ticker": "MSFT"}])]
    # When stored
    out = app.handler(_event("a", [["AAPL"], ["MSFT"]], results), lambda_context)
    # Then the result names the Parquet key, which exists, and the summary item is in the table
    assert set(out) == {"date", "status", "unusual", "parquetKey", "subject", "message"}
    assert out["date"] == DAY and out["unusual"] == []
    aws["s3"].head_object(Bucket=BUCKET, Key=out["parquetKey"])
    items = aws["dynamodb"].scan(TableName=TABLE)["Items"]
    assert [i["pk"]["S"] for i in items] == [ANALYSIS_PK]
    assert [r["M"]["Ticker"]["S"] for r in items[0]["Tickers"]["L"]] == ["AAPL", "MSFT"]


def _nothing_written(aws: Any) -> bool:
    curated = aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix="curated/").get("KeyCount")
    return aws["dynamodb"].scan(TableName=TABLE)["Items"] == [] and curated == 0


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"date": DAY, "analyses": [FIGURES], "executionName": "a"}, "batches"),  # the old shape
        (
            {
                "date": DAY,
                "batches": [{"batch": 0, "tickers": ["AAPL"]}],
                "results": "x",
                "executionName": "a",
            },
            "results",
        ),
        (
            {
                "date": DAY,
                "batches": [{"batch": 0, "tickers": ["AAPL"]}],
                "results": [],
                "executionName": "a",
            },
            "results",
        ),
        (
            {
                "date": DAY,
                "batches": [{"batch": 1, "tickers": ["AAPL"]}],
                "results": [{"batch": 0, "key": analysis_work_key("a", 0), "tickers": 1}],
                "executionName": "a",
            },
            "batches[0]",
        ),
        (
            {
                "date": DAY,
                "batches": [{"batch": 0, "tickers": ["AAPL"]}, {"batch": 1, "tickers": ["AAPL"]}],
                "results": [{"batch": i, "key": analysis_work_key("a", i), "tickers": 1} for i in (0, 1)],
                "executionName": "a",
            },
            "batches",
        ),
        (
            {
                "date": DAY,
                "batches": [{"batch": 0, "tickers": ["AAPL"]}],
                "results": [{"batch": 0, "key": "curated/daily_bars/x.json", "tickers": 1}],
                "executionName": "a",
            },
            "results[0]",
        ),
        (
            {
                "date": DAY,
                "batches": [{"batch": 0, "tickers": ["AAPL"]}],
                "results": [{"batch": 0, "key": analysis_work_key("b", 0), "tickers": 1}],
                "executionName": "a",
            },
            "results[0]",
        ),
        (
            {
                "date": DAY,
                "batches": [{"batch": 0, "tickers": ["AAPL"]}],
                "results": [{"batch": 0, "key": analysis_work_key("a", 0), "tickers": 2}],
                "executionName": "a",
            },
            "results[0].tickers",
        ),
        (
            {
                "date": DAY,
                "batches": [{"batch": 0, "tickers": ["AAPL"]}],
                "results": [],
                "executionName": "a/b",
            },
            "executionName",
        ),
    ],
)
def test_a_malformed_plan_or_answer_is_invalid_input(
    aws: Any,
    load_handler: Callable[..., ModuleType],
    lambda_context: object,
    event: dict[str, Any],
    field: str,
) -> None:
    app = load_handler("analysis_store")
    _batch(aws, "a", 0, [FIGURES])
    with pytest.raises(InvalidInput) as raised:
        app.handler(event, lambda_context)
    assert raised.value.field == field
    assert _nothing_written(aws)


def test_an_absent_batch_object_is_missing_analysis_batch(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given batch 0 written and batch 1's object gone (expired or never written)
    app = load_handler("analysis_store")
    results = [_batch(aws, "a", 0, [FIGURES])]
    results.append({"batch": 1, "key": analysis_work_key("a", 1), "tickers": 1, "partial": 0, "unusual": []})
    with pytest.raises(MissingAnalysisBatch) as raised:
        app.handler(_event("a", [["AAPL"], ["MSFT"]], results), lambda_context)
    assert raised.value.keys == (analysis_work_key("a", 1),)
    assert _nothing_written(aws)


@pytest.mark.parametrize(
    ("analyses", "over", "rule"),
    [
        ([FIGURES], {"date": "2026-01-06"}, "date is"),
        ([FIGURES], {"execution": "b"}, "execution is"),
        ([FIGURES], {"batch": 1}, "batch is"),
        ([FIGURES], {"tickers": ["MSFT"]}, "not the batch's tickers"),
        ([FIGURES], {"analyses": []}, "must hold the figures"),
        ([FIGURES], {"analyses": "x"}, "must hold the figures"),
        ([{**FIGURES, "ticker": "MSFT"}], {"tickers": ["AAPL"]}, "in its place"),
        ([{**FIGURES, "percentChange": "abc"}], {}, "percentChange is not a number"),
        ([{**FIGURES, "zScore": "NaN"}], {}, "zScore is not finite"),
        ([{**FIGURES, "volatility": True}], {}, "volatility is not a number"),
        ([{**FIGURES, "unusual": "yes"}], {}, "unusual must be"),
        ([{**FIGURES, "sessions": -1}], {}, "sessions must be"),
        ([{**FIGURES, "reasons": "x"}], {}, "reasons must be"),
        (["AAPL"], {"tickers": ["AAPL"]}, "not an object"),
    ],
)
def test_a_wrong_batch_object_is_invalid_analysis_batch(
    aws: Any,
    load_handler: Callable[..., ModuleType],
    lambda_context: object,
    analyses: list[Any],
    over: dict[str, Any],
    rule: str,
) -> None:
    app = load_handler("analysis_store")
    key = analysis_work_key("a", 0)
    body = {"date": DAY, "execution": "a", "batch": 0, "tickers": ["AAPL"], "analyses": analyses, **over}
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=json.dumps(body).encode())
    results = [{"batch": 0, "key": key, "tickers": 1, "partial": 0, "unusual": []}]
    with pytest.raises(InvalidAnalysisBatch) as raised:
        app.handler(_event("a", [["AAPL"]], results), lambda_context)
    assert raised.value.key == key and rule in raised.value.rule
    assert _nothing_written(aws)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_an_unreadable_batch_object_is_invalid_analysis_batch(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object, body: bytes
) -> None:
    app = load_handler("analysis_store")
    key = analysis_work_key("a", 0)
    aws["s3"].put_object(Bucket=BUCKET, Key=key, Body=body)
    results = [{"batch": 0, "key": key, "tickers": 1, "partial": 0, "unusual": []}]
    with pytest.raises(InvalidAnalysisBatch):
        app.handler(_event("a", [["AAPL"]], results), lambda_context)
    assert _nothing_written(aws)
