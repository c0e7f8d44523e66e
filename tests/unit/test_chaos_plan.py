"""The chaos suite's pure parts: the seeded plan, the fault table, and the verdicts of DESIGN.md §5 over
stored days built from the oracle (no stack: tests/chaos runs the suite on one)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from movers import chaos, oracle
from movers.chaos import DayState, Fault, Run
from movers.local.faults import CATALOG, CRASH
from movers.market.faults import BAD_NUMBERS
from movers.market.faults import KINDS as SERVER_KINDS

DAY = "2022-03-15"
WATCH = oracle.DEFAULT
ARN = "arn:aws:states:us-east-1:123456789012:execution:ingest:chaos-run"
HEAL = "arn:aws:states:us-east-1:123456789012:execution:backfill:heal"


def config(**kwargs: Any) -> chaos.Config:
    kwargs.setdefault("runs", 60)
    kwargs.setdefault("seed", 7)
    return chaos.Config(date_from="2021-01-01", date_to="2023-12-31", **kwargs)


def shape(runs: list[Run]) -> list[tuple[Any, ...]]:
    return [(r.date, r.force, r.tickers, r.group, [f.label() for f in r.faults]) for r in runs]


# -- plan ---------------------------------------------------------------------------------------------


def test_the_plan_is_a_function_of_the_seed() -> None:
    sessions = oracle.sessions()
    assert shape(chaos.plan(config(), sessions, WATCH)) == shape(chaos.plan(config(), sessions, WATCH))
    assert shape(chaos.plan(config(), sessions, WATCH)) != shape(chaos.plan(config(seed=8), sessions, WATCH))


def test_the_plan_mixes_fresh_dates_reruns_forced_runs_groups_and_fault_kinds() -> None:
    runs = chaos.plan(config(runs=200), oracle.sessions(), WATCH)
    assert len(runs) == 200 and [r.index for r in runs] == list(range(200))
    assert all("2021-01-01" <= r.date <= "2023-12-31" and r.date in oracle.sessions() for r in runs)
    dates = Counter(r.date for r in runs)
    assert any(n > 1 for n in dates.values()) and any(r.force for r in runs)
    assert any(r.tickers is not None for r in runs) and any(not r.faults for r in runs)
    groups = Counter(r.group for r in runs if r.group is not None)
    assert groups and all(n in (2, 3) for n in groups.values())
    assert {f.kind for r in runs for f in r.faults} == set(chaos.KINDS)
    for run in runs:
        watch = run.tickers or WATCH
        for fault in run.faults:
            kind = chaos.KINDS[fault.kind]
            if run.group is not None:  # runs sharing the provider get faults that name their execution
                assert kind.side == "aws" and fault.body == "execution"
            if kind.side == "provider" and not kind.transient:
                assert fault.target in watch
        # a date keeps its watchlist across its runs
        assert all(r.tickers == run.tickers for r in runs if r.date == run.date)


def test_the_plan_refuses_more_runs_than_sessions() -> None:
    with pytest.raises(ValueError, match="sessions"):
        chaos.plan(
            chaos.Config(runs=5, date_from="2024-05-01", date_to="2024-05-03"), oracle.sessions(), WATCH
        )


def test_every_kind_is_classified_and_maps_to_a_real_fault() -> None:
    for kind in chaos.KINDS.values():
        assert kind.side in ("provider", "aws")
        if kind.transient:
            assert kind.budget is None or kind.budget >= 1
        else:
            assert kind.budget is None and kind.side == "provider"
    for name, server in chaos.SERVER_KIND.items():
        assert server in SERVER_KINDS, name
    assert set(chaos.SERVER_5XX) <= set(SERVER_KINDS) and set(chaos.BAD_NUMBER_MODES) == set(BAD_NUMBERS)
    for name, targets in chaos.AWS_TARGETS.items():
        for service, _action, _function, _body in targets:
            for code in chaos.AWS_CODES[name]:
                assert code in CATALOG[service] or (code == CRASH and service == "lambda"), (name, code)


def test_provider_faults_are_scripted_for_the_run_date_only() -> None:
    run = Run(0, DAY, False, None, [])
    bad = chaos.Suite._provider_config(run, Fault("bad_numbers", 1, "AAPL", "huge"))
    # a permanent fault answers every call for its ticker in the run (a retried fetch sees it again)
    assert bad == {
        "script": ["bad_numbers"] * chaos.PERMANENT_ANSWERS,
        "dates": [DAY],
        "timeout_ms": chaos.CLIENT_TIMEOUT_MS + 500,
        "bad_numbers": "huge",
        "tickers": ["AAPL"],
        "drop_tickers": ["AAPL"],
    }
    assert chaos.Suite._provider_config(run, Fault("5xx", 2, "", "502,500"))["script"] == ["502", "500"]


# -- verdicts -----------------------------------------------------------------------------------------


def n(value: str) -> dict[str, str]:
    return {"N": value}


def stored(day: str = DAY, tickers: tuple[str, ...] = WATCH, arn: str = ARN, **override: str) -> DayState:
    """A day stored as the oracle says (override Ticker, PercentChange or ClosingPrice to break it)."""
    ticker, pct = oracle.winner(day, tickers)
    winner = {
        "Ticker": {"S": override.get("Ticker", ticker)},
        "PercentChange": n(override.get("PercentChange", pct)),
        "ClosingPrice": n(override.get("ClosingPrice", oracle.close(ticker, day))),
        "ExecutionArn": {"S": arn},
        "StoredAt": {"S": "2026-11-26T00:00:00+00:00"},
    }
    items = {t: {"Close": n(oracle.close(t, day)), "PercentChange": n(oracle.pct6(t, day))} for t in tickers}
    rows = {t: oracle.close(t, day) + "0000" for t in tickers}
    return DayState(winner, items, '"etag"', rows, board(day, tickers, arn))


def board(day: str, tickers: tuple[str, ...], arn: str, size: int = 10) -> dict[str, Any]:
    """The day's board item as Store Day writes it (top `size` gainers and losers by the oracle's moves)."""
    moves = {t: Decimal(oracle.pct6(t, day)) for t in tickers}
    up = sorted((t for t in tickers if moves[t] > 0), key=lambda t: (-moves[t], t))[:size]
    down = sorted((t for t in tickers if moves[t] < 0), key=lambda t: (moves[t], t))[:size]
    entry = lambda t: {"M": {"Ticker": {"S": t}, "PercentChange": n(str(moves[t]))}}  # noqa: E731
    return {
        "Size": n(str(size)),
        "Gainers": {"L": [entry(t) for t in up]},
        "Losers": {"L": [entry(t) for t in down]},
        "ExecutionArn": {"S": arn},
        "StoredAt": {"S": "2026-11-26T00:00:00+00:00"},
    }


def run(status: str = "SUCCEEDED", faults: list[Fault] | None = None, **kwargs: Any) -> Run:
    r = Run(0, kwargs.pop("date", DAY), False, None, faults or [])
    r.status, r.arn, r.name = status, kwargs.pop("arn", ARN), "chaos-run"
    r.result = kwargs.pop("result", "Stored" if status == "SUCCEEDED" else "")
    r.injected = Counter(kwargs.pop("injected", {}))
    r.stored_winner = kwargs.pop("stored_winner", False)
    return r


def judge(runs: list[Run], after: dict[str, DayState], before: dict[str, DayState] | None = None, **kw: Any):
    return chaos.evaluate(
        runs,
        before or {},
        after,
        watchlist_of=lambda arn: WATCH,
        succeeded_elsewhere=lambda arn: arn == HEAL,
        peak=kw.get("peak", 5),
        window=2.0,
        limit=5,
    )


def test_a_day_stored_as_the_oracle_says_passes() -> None:
    tally = judge([run(stored_winner=True)], {DAY: stored()})
    assert tally.ok and tally.line() == (
        "chaos: 1 runs, 0 wrong winners, 0 winners for failed runs, 0 partial writes, "
        "0 transient faults failed a run, 0 permanent faults passed, peak 5 calls in any 2-second window "
        "(limit 5)"
    )


@pytest.mark.parametrize("field", ["Ticker", "PercentChange", "ClosingPrice"])
def test_a_winner_differing_from_the_oracle_is_wrong(field: str) -> None:
    wrong = {"Ticker": "ZZZZ", "PercentChange": "1000000", "ClosingPrice": "1E+15"}[field]
    tally = judge([run()], {DAY: stored(**{field: wrong})})
    assert len(tally.wrong_winners) == 1 and not tally.ok


def test_a_winner_judged_against_the_watchlist_of_the_execution_that_wrote_it() -> None:
    custom = ("AMD", "INTC", "NFLX")
    tally = chaos.evaluate(
        [run()], {}, {DAY: stored(tickers=custom)}, lambda arn: custom, lambda arn: False, 1, 2.0, 5
    )
    assert tally.ok
    tally = judge([run()], {DAY: stored(tickers=custom)})  # judged against the default list: wrong
    assert tally.wrong_winners


def test_items_or_parquet_without_a_winner_and_a_winner_without_them_are_partial() -> None:
    day = stored()
    no_winner = DayState(None, dict(day.items), None)
    only_parquet = DayState(None, {}, '"etag"')
    missing_item = stored()
    del missing_item.items["AAPL"]
    no_parquet = stored()
    no_parquet.parquet = None
    no_board = stored()
    no_board.board = None
    for state in (no_winner, only_parquet, missing_item, no_parquet, no_board):
        tally = judge([run("FAILED")], {DAY: state})
        assert len(tally.partial_writes) == 1, state
    # but a partial state that was there before the suite and did not change is not the suite's
    assert judge([run("FAILED")], {DAY: no_winner}, before={DAY: no_winner}).partial_writes == []


def test_stored_items_or_parquet_rows_differing_from_the_oracle_fail_the_suite() -> None:
    day = stored()
    day.items["MSFT"]["Close"] = n("1")
    assert judge([run()], {DAY: day}).wrong_values and not judge([run()], {DAY: day}).ok
    day = stored()
    assert day.parquet_rows is not None
    day.parquet_rows["TSLA"] = "2"
    assert judge([run()], {DAY: day}).wrong_values


def test_a_winner_for_a_date_whose_runs_all_failed() -> None:
    failed = [run("FAILED", stored_winner=True), run("FAILED")]
    tally = judge(failed, {DAY: stored()})
    assert len(tally.failed_winners) == 1 and len(tally.failed_runs_that_stored) == 1
    # not when the winner was there before the suite
    assert judge(failed, {DAY: stored()}, before={DAY: stored()}).failed_winners == []
    # not when a succeeded execution outside the suite (a gap-healing backfill) stored it
    healed = judge([run("FAILED")], {DAY: stored(arn=HEAL)})
    assert healed.failed_winners == [] and len(healed.healed) == 1
    # not when another run of the date succeeded
    assert (
        judge([run("FAILED"), run("SUCCEEDED", result="AlreadyStored")], {DAY: stored()}).failed_winners == []
    )


def test_transient_faults_within_budget_and_no_faults_must_succeed() -> None:
    five = [Fault("5xx", 3, "", "500,500,500")]
    assert len(judge([run("FAILED", five, injected={"5xx": 3})], {}).transient_failed) == 1
    assert len(judge([run("FAILED")], {}).transient_failed) == 1  # no fault at all
    assert len(judge([run("TIMED_OUT", five, injected={"5xx": 1})], {}).transient_failed) == 1
    # beyond the budget, or with a permanent fault that reached the pipeline, failing is allowed
    assert judge([run("FAILED", five, injected={"5xx": 4})], {}).transient_failed == []
    mixed = [*five, Fault("malformed", 1, "AAPL")]
    assert judge([run("FAILED", mixed, injected={"5xx": 1, "malformed": 1})], {}).transient_failed == []
    # a slow answer has no budget: any number must be absorbed
    slow = [Fault("slow", 3, "", "500ms")]
    assert len(judge([run("FAILED", slow, injected={"slow": 3})], {}).transient_failed) == 1


def test_a_permanent_fault_that_reached_the_pipeline_must_not_store() -> None:
    bad = [Fault("bad_numbers", 1, "AAPL", "huge")]
    assert len(judge([run(faults=bad, injected={"bad_numbers": 1})], {DAY: stored()}).permanent_passed) == 1
    # a planned fault that never reached the provider (the day was already stored) proves nothing
    quiet = run(faults=bad, result="AlreadyStored")
    assert judge([quiet], {DAY: stored()}, before={DAY: stored()}).permanent_passed == []


def test_more_calls_in_a_window_than_the_plan_fails_and_runs_cut_short_fail() -> None:
    assert not judge([run()], {DAY: stored()}, peak=6).ok
    runs = [run(), Run(1, DAY, False, None, [])]  # the second never ran (deadline)
    tally = judge(runs, {DAY: stored()})
    assert tally.runs == 1 and tally.planned == 2 and not tally.ok


def test_a_board_not_the_oracles_top_n_or_of_another_run_fails_the_suite() -> None:
    # Given a day whose board is the oracle's, Then it passes (the first test), and with a smaller size too
    small = stored()
    small.board = board(DAY, WATCH, ARN, size=1)
    assert judge([run()], {DAY: small}).ok
    # When the gainers are swapped, a loser is dropped, or the board is another run's, Then it fails
    swapped = stored()
    assert swapped.board is not None
    gainers = swapped.board["Gainers"]["L"]
    assert len(gainers) >= 2, "the test day needs two gainers"
    gainers[0], gainers[1] = gainers[1], gainers[0]
    dropped = stored()
    assert dropped.board is not None and dropped.board["Losers"]["L"], "the test day needs a loser"
    dropped.board["Losers"]["L"].pop()
    other = stored()
    assert other.board is not None
    other.board["ExecutionArn"] = {"S": HEAL}
    for state in (swapped, dropped, other):
        tally = judge([run()], {DAY: state})
        assert tally.wrong_values and not tally.ok, state.board
