"""The daily analysis at scale (usecases.analysis): the batch plan, one batch's work object and Store
Analysis's read of the objects, with fakes for the table and S3 (no AWS)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from stock_movers.adapters.storage import analysis_work_key
from stock_movers.domain.analytics import ANALYSIS_BATCH_DEFAULT, TickerAnalysis, report, summarise
from stock_movers.domain.calendar import last_n_sessions
from stock_movers.domain.errors import InvalidAnalysisBatch, InvalidInput, MissingAnalysisBatch
from stock_movers.domain.inputs import MAX_WATCHLIST, parse_execution_name
from stock_movers.usecases.analysis import (
    MAX_BATCH_SIZE,
    BatchRequest,
    analyse_batch,
    analyse_ticker_day,
    parse_analysis_input,
    plan_batches,
    read_batches,
)

DAY = dt.date(2025, 7, 1)
THRESHOLD = Decimal("2.0")
SESSIONS = last_n_sessions(DAY, 25)


def symbols(n: int) -> list[str]:
    """n distinct valid symbols (A, B, ..., AA, AB, ...)."""
    out, i = [], 0
    while len(out) < n:
        k, name = i, ""
        while True:
            name = chr(ord("A") + k % 26) + name
            k = k // 26 - 1
            if k < 0:
                break
        out.append(name)
        i += 1
    return out


class FakeHistory:
    """The table's per-ticker history (what HistoryStore.ticker_history answers), deterministic per ticker;
    tickers in `young` have only 3 sessions stored."""

    def __init__(self, young: frozenset[str] = frozenset()) -> None:
        self.young = young
        self.reads: list[str] = []

    def ticker_history(self, ticker: str, day: dt.date, limit: int = 21) -> list[tuple[dt.date, Decimal]]:
        self.reads.append(ticker)
        seed = sum(map(ord, ticker))
        series = [(d, Decimal((seed * (i + 3)) % 17 - 8) / 4) for i, d in enumerate(SESSIONS) if d <= day]
        if ticker in self.young:
            series = series[-3:]
        return list(reversed(series))[:limit]


class FakeObjects:
    """The run's work objects (RawStore's get_if_exists and put_bytes) in memory."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def get_if_exists(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def put_bytes(self, key: str, body: bytes, content_type: str) -> str | None:
        assert content_type == "application/json"
        self.objects[key] = body
        return None


def run_batches(
    tickers: list[str], size: int, history: FakeHistory, objects: FakeObjects, execution: str = "run-1"
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Given Prepare's plan and every Analyse Tickers iteration run as the Map runs them."""
    plan = plan_batches(tickers, size)
    results = [
        analyse_batch(
            history,
            objects,
            BatchRequest(DAY, b["batch"], tuple(b["tickers"]), execution),
            threshold=THRESHOLD,
        )
        for b in plan
    ]
    return plan, results


# --- the plan -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "size", "sizes"), [(6, 50, [6]), (5, 2, [2, 2, 1]), (100, 50, [50, 50]),
                                                      (101, 50, [50, 50, 1]), (3, 1, [1, 1, 1])])  # fmt: skip
def test_the_plan_cuts_the_tickers_in_order_every_ticker_once(
    count: int, size: int, sizes: list[int]
) -> None:
    tickers = symbols(count)
    plan = plan_batches(tickers, size)
    assert [len(b["tickers"]) for b in plan] == sizes
    assert [b["batch"] for b in plan] == list(range(len(sizes)))
    assert [t for b in plan for t in b["tickers"]] == tickers


@pytest.mark.parametrize("size", [0, -1, MAX_BATCH_SIZE + 1])
def test_a_batch_size_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="batch size"):
        plan_batches(["AAPL"], size)


def test_a_500_ticker_plan_is_ten_batches_and_a_small_state() -> None:
    # Given the largest watchlist and the default batch size
    tickers = symbols(MAX_WATCHLIST)
    request = parse_analysis_input(
        {"date": DAY.isoformat(), "tickers": tickers}, now=dt.datetime(2025, 7, 2, 22, tzinfo=dt.UTC),
        default_tickers=lambda: ["AAPL"],
    )  # fmt: skip
    plan = plan_batches(request.tickers, ANALYSIS_BATCH_DEFAULT)
    # Then 10 iterations of 50 (one invocation each instead of 500), and the plan is a few KB of state
    assert len(plan) == 10 and {len(b["tickers"]) for b in plan} == {50}
    assert len(json.dumps(plan)) < 8 * 1024


def test_more_than_the_watchlist_cap_is_refused() -> None:
    with pytest.raises(InvalidInput, match="at most 500"):
        parse_analysis_input(
            {"date": DAY.isoformat(), "tickers": symbols(MAX_WATCHLIST + 1)},
            now=dt.datetime(2025, 7, 2, 22, tzinfo=dt.UTC),
            default_tickers=lambda: ["AAPL"],
        )


# --- one batch ----------------------------------------------------------------------------------------------


def test_a_batch_leaves_the_per_ticker_figures_in_its_object_and_answers_a_summary() -> None:
    # Given three tickers, one with too little history
    history, objects = FakeHistory(young=frozenset({"BB"})), FakeObjects()
    request = BatchRequest(DAY, 4, ("AA", "BB", "CC"), "run-1")
    # When the batch is analysed
    out = analyse_batch(history, objects, request, threshold=THRESHOLD)
    # Then its object holds exactly what analyse_ticker_day gives each ticker, in the batch's order
    key = analysis_work_key("run-1", 4)
    body = json.loads(objects.objects[key])
    want = [
        analyse_ticker_day(FakeHistory(frozenset({"BB"})), t, DAY, threshold=THRESHOLD)
        for t in request.tickers
    ]
    assert body == {"date": "2025-07-01", "execution": "run-1", "batch": 4, "tickers": ["AA", "BB", "CC"],
                    "analyses": [a.to_dict() for a in want]}  # fmt: skip
    # And the answer is only the key and the counts
    assert out == {"batch": 4, "key": key, "tickers": 3, "partial": 1,
                   "unusual": [a.ticker for a in want if a.unusual]}  # fmt: skip
    assert sorted(history.reads) == ["AA", "BB", "CC"]


def test_the_work_key_is_per_execution_and_batch() -> None:
    assert analysis_work_key("run-1", 7) == "work/analysis/run-1/0007.json"
    assert analysis_work_key("run-1", 7) != analysis_work_key("run-2", 7)


@pytest.mark.parametrize("name", ["", "a/b", "..", "a b", "x" * 81, "a#b", None, 5])
def test_an_execution_name_aws_would_refuse_is_invalid_input(name: object) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_execution_name(name)
    assert raised.value.field == "executionName"


# --- Store Analysis's read ----------------------------------------------------------------------------------


def test_500_tickers_read_back_equal_the_per_ticker_figures_and_the_states_stay_small() -> None:
    # Given 500 tickers analysed in batches of 50
    tickers = symbols(500)
    history, objects = FakeHistory(young=frozenset(tickers[::7])), FakeObjects()
    plan, results = run_batches(tickers, ANALYSIS_BATCH_DEFAULT, history, objects)
    # When Store Analysis reads them back
    read = read_batches(objects, DAY, "run-1", plan, results)
    # Then they equal one analyse_ticker_day per ticker (what the one-invoke-per-ticker Map gave)
    fresh = FakeHistory(young=frozenset(tickers[::7]))
    assert read == [analyse_ticker_day(fresh, t, DAY, threshold=THRESHOLD) for t in tickers]
    # And the summary is that of those figures
    assert summarise(DAY, read, {}) == summarise(
        DAY, [TickerAnalysis.from_dict(a.to_dict()) for a in read], {}
    )
    # And the largest state (the plan beside the Map's answers, Store Analysis's input) is far below 256 KB
    state = {"date": DAY.isoformat(), "tickers": 500, "batches": plan, "force": False, "analysed": results}
    assert len(json.dumps(state)) < 32 * 1024


def test_the_report_stays_short_at_500_tickers() -> None:
    tickers = symbols(500)
    history, objects = FakeHistory(young=frozenset(tickers)), FakeObjects()
    plan, results = run_batches(tickers, 50, history, objects)
    summary = summarise(DAY, read_batches(objects, DAY, "run-1", plan, results), {})
    _, message = report(summary)
    assert len(message) < 8 * 1024 and "... and 475 more in the stored analysis" in message


def test_another_executions_object_is_refused() -> None:
    # Given run-1's batches, When run-2's Store Analysis is handed run-1's answers
    history, objects = FakeHistory(), FakeObjects()
    plan, results = run_batches(symbols(3), 2, history, objects)
    with pytest.raises(InvalidInput, match="results\\[0\\]"):
        read_batches(objects, DAY, "run-2", plan, results)


def test_an_object_rewritten_for_another_day_is_refused() -> None:
    history, objects = FakeHistory(), FakeObjects()
    plan, results = run_batches(symbols(3), 2, history, objects)
    key = results[1]["key"]
    objects.objects[key] = objects.objects[key].replace(b'"2025-07-01"', b'"2025-06-30"')
    with pytest.raises(InvalidAnalysisBatch, match="date is"):
        read_batches(objects, DAY, "run-1", plan, results)


def test_every_missing_object_is_named() -> None:
    history, objects = FakeHistory(), FakeObjects()
    plan, results = run_batches(symbols(5), 2, history, objects)
    del objects.objects[results[0]["key"]], objects.objects[results[2]["key"]]
    with pytest.raises(MissingAnalysisBatch) as raised:
        read_batches(objects, DAY, "run-1", plan, results)
    assert raised.value.keys == (results[0]["key"], results[2]["key"])


def test_a_plan_with_a_ticker_in_two_batches_is_refused() -> None:
    history, objects = FakeHistory(), FakeObjects()
    plan, results = run_batches(["AA", "BB"], 1, history, objects)
    plan[1]["tickers"] = ["AA"]
    with pytest.raises(InvalidInput, match="more than one batch"):
        read_batches(objects, DAY, "run-1", plan, results)


@pytest.mark.parametrize("where", ["plan", "answer", "object"])
def test_a_boolean_for_batch_1_is_not_batch_1(where: str) -> None:
    # Given two batches, When batch 1 is named `true` (which Python compares equal to 1) in one place
    history, objects = FakeHistory(), FakeObjects()
    plan, results = run_batches(["AA", "BB"], 1, history, objects)
    if where == "plan":
        plan[1]["batch"] = True
    elif where == "answer":
        results[1]["batch"] = True
    else:
        key = results[1]["key"]
        objects.objects[key] = objects.objects[key].replace(b'"batch": 1', b'"batch": true')
    # Then it is refused by name
    with pytest.raises((InvalidInput, InvalidAnalysisBatch)):
        read_batches(objects, DAY, "run-1", plan, results)
