"""Issue 17 item 4 on the local stack: a daily run stores the day's top-N board (DynamoDB item in the winner's
commit, ranks in the day's Parquet) equal to an independent computation from the market data, and the API's
leaders route serves it. Own session date; nothing else of the suite stores it."""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyarrow.parquet as pq
import pytest

from movers.local.apigw import LocalApiGateway, execution_arn_from_url
from tests.support import oracle
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack
DAY = "2026-11-16"  # a session no other stack test stores
BOARD_SIZE = 10  # the Terraform default of board_size


Board = dict[str, list[tuple[str, Decimal, Decimal]]]


def independent_board(day: str, tickers: tuple[str, ...], n: int) -> Board:
    """From the CSV with Fractions (tests/support/oracle): gainers rose, losers fell, ties by ticker."""
    moves = {t: Decimal(oracle.pct6(t, day)) for t in tickers}
    entry = {t: (t, moves[t], Decimal(oracle.close(t, day))) for t in tickers}
    up = sorted((t for t in tickers if moves[t] > 0), key=lambda t: (-moves[t], t))[:n]
    down = sorted((t for t in tickers if moves[t] < 0), key=lambda t: (moves[t], t))[:n]
    return {"Gainers": [entry[t] for t in up], "Losers": [entry[t] for t in down]}


def stored_lists(item: dict[str, Any]) -> Board:
    return {
        side: [
            (m["Ticker"]["S"], Decimal(m["PercentChange"]["N"]), Decimal(m["ClosingPrice"]["N"]))
            for m in (e["M"] for e in item[side]["L"])
        ]
        for side in ("Gainers", "Losers")
    }


@pytest.fixture
def api(stack: StackHandle) -> Iterator[str]:
    """The local API gateway on the Terraform stack's API function (its `live` alias, as api.tf)."""
    gw = LocalApiGateway(
        stack.outputs["api_function_alias_arn"],
        stack.endpoint,
        frontend_dir=None,
        execution_arn=execution_arn_from_url(stack.outputs["api_url"]),
    )
    url = gw.start()
    try:
        yield f"{url}/v1"
    finally:
        gw.stop()


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return int(resp.status), json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read())


def test_a_daily_run_stores_the_board_an_independent_computation_gives(stack: StackHandle, api: str) -> None:
    # Given a session of the dataset, When the daily run stores it
    desc = stack.run("ingest", f"leaders-{DAY}", {"date": DAY})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    # Then the board item equals the independent computation from the market data
    expected = independent_board(DAY, oracle.DEFAULT, BOARD_SIZE)
    assert expected["Gainers"] and expected["Losers"], "the day must have both sides to prove anything"
    item = stack.leaders(DAY)
    assert item is not None
    assert stored_lists(item) == expected
    assert (item["Size"]["N"], item["Tickers"]["N"], item["Scope"]["S"]) == (
        str(BOARD_SIZE),
        str(len(oracle.DEFAULT)),
        "watchlist",
    )
    # And it is the winner's run's (one commit), the winner unchanged and heading one of the lists
    winner = stack.winner(DAY)
    assert winner is not None
    assert item["ExecutionArn"]["S"] == winner["ExecutionArn"]["S"] == desc["executionArn"]
    ticker, pct = oracle.winner(DAY)
    assert (winner["Ticker"]["S"], Decimal(winner["PercentChange"]["N"])) == (ticker, Decimal(pct))
    side = "Gainers" if Decimal(pct) > 0 else "Losers"
    assert expected[side][0][0] == ticker
    # And the day's Parquet ranks the same tickers
    (key,) = stack.keys(f"curated/daily_bars/year={DAY[:4]}/date={DAY}/")
    body = stack.s3.get_object(Bucket=stack.outputs["bucket_name"], Key=key)["Body"].read()
    rows = pq.read_table(io.BytesIO(body)).to_pylist()
    for column, side in (("gainer_rank", "Gainers"), ("loser_rank", "Losers")):
        ranked = sorted((r[column], r["ticker"]) for r in rows if r[column] is not None)
        assert [t for _, t in ranked] == [e[0] for e in expected[side]]
        assert [rank for rank, _ in ranked] == list(range(1, len(ranked) + 1))
    # And the API's leaders route serves it (n cuts each list; a bad n is a named 400; an unknown day 404)
    status, got = get(f"{api}/movers/{DAY}/leaders?n=2")
    assert status == 200
    assert got == {
        "Date": DAY,
        "Scope": "watchlist",
        **{
            side: [
                {"Ticker": t, "PercentChange": float(p), "ClosingPrice": float(c) if c % 1 else int(c)}
                for t, p, c in expected[side][:2]
            ]
            for side in ("Gainers", "Losers")
        },
    }
    assert get(f"{api}/movers/{DAY}/leaders?n=51") == (
        400,
        {"error": "BadRequest", "message": "n: must be an integer between 1 and 50"},
    )
    assert get(f"{api}/movers/2026-11-14/leaders")[0] == 404  # a Saturday: nothing stored


def test_a_backfill_stores_each_days_board_with_its_winner(stack: StackHandle) -> None:
    # Given sessions no other stack test stores, When they are backfilled (store_sessions -> Store Day)
    days = ("2025-10-20", "2025-10-21", "2025-10-22")
    desc = stack.run("backfill", "leaders-backfill", {"from": days[0], "to": days[-1]}, timeout=300)
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    for day in days:
        # Then every stored day has its board, equal to the independent computation, of the winner's run
        item, winner = stack.leaders(day), stack.winner(day)
        assert item is not None and winner is not None, day
        assert stored_lists(item) == independent_board(day, oracle.DEFAULT, BOARD_SIZE), day
        assert item["ExecutionArn"]["S"] == winner["ExecutionArn"]["S"] == desc["executionArn"]
