"""SQL over the curated zone on the Terraform stack: the applied Glue tables are the Parquet writers' schemas
with partition projection, the workgroup enforces its configuration, and every example query of
docs/query.md, run through `movers --local query` over days this test stores (its own year), gives the
numbers the API gives (GET /movers/{date}, GET /tickers/{symbol}/history)."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from movers import cli
from movers.local.apigw import LocalApiGateway, execution_arn_from_url
from movers.local.stack import ROOT
from movers.market.dataset import TICKERS
from stock_movers.adapters.storage import ticker_pk
from stock_movers.domain.calendar import sessions_in_range
from tests.support.localstack import StackHandle
from tests.unit.test_query_engine import ANALYSIS, BARS, glue_type

# This test's own days, in a year other stack tests may also store days in (test_backfill's five years,
# a single-ticker day of test_ingest_paths): every comparison below covers whatever the year holds.
YEAR = "2022"
SPAN = ("2022-06-01", "2022-06-08")
DOCS_YEAR = "'2026'"  # the year the examples of docs/query.md are written for (the demo's data)


def examples() -> dict[str, str]:
    """The `sql` blocks of docs/query.md's "Example queries", by heading, for this test's year."""
    text = (ROOT / "docs" / "query.md").read_text()
    section = text.split("## Example queries", 1)[1].split("\n## ", 1)[0]
    found = dict(re.findall(r"### ([^\n]+)\n.*?```sql\n(.*?)```", section, flags=re.S))
    assert all(DOCS_YEAR in sql for sql in found.values()), found
    return {title: sql.replace(DOCS_YEAR, f"'{YEAR}'") for title, sql in found.items()}


@pytest.fixture(scope="module")
def stored(stack: StackHandle) -> list[str]:
    """Given the default watchlist's sessions of SPAN stored by one backfill."""
    desc = stack.run(
        "backfill", f"query-{uuid.uuid4().hex[:8]}", {"from": SPAN[0], "to": SPAN[1]}, timeout=180
    )
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    days = sessions_in_range(dt.date.fromisoformat(SPAN[0]), dt.date.fromisoformat(SPAN[1]))
    return [d.isoformat() for d in days]


@pytest.fixture(scope="module")
def api(stack: StackHandle) -> Iterator[str]:
    """The local API gateway on the stack's API function (the `live` alias, as the REST integration)."""
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


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as resp:  # the local gateway on 127.0.0.1
        return json.loads(resp.read(), parse_float=Decimal)


@pytest.fixture
def query(
    stack: StackHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """`movers --local query <sql> --format json` as an operator runs it; its rows, by column name."""
    monkeypatch.setenv("MOVERS_STATE_FILE", str(stack.state_file(tmp_path / "stack.json")))

    def run(sql: str) -> list[dict[str, str | None]]:
        capsys.readouterr()
        code = cli.main(["--local", "query", sql, "--format", "json"])
        out = capsys.readouterr()
        assert code == 0, out.err
        answer = json.loads(out.out)
        return [dict(zip(answer["columns"], row, strict=True)) for row in answer["rows"]]

    return run


def history(api: str, ticker: str, stack: StackHandle) -> list[dict[str, Any]]:
    """The ticker's stored days of YEAR as GET /tickers/{ticker}/history answers them, newest first.

    The route serves the newest 365 days, which reach back to YEAR only while the shared stack holds no
    later year (test_backfill stores five); then the days of YEAR are the items that route serves, read
    with the table adapter and shaped as the route shapes them (a check of the route itself first)."""
    days = get(f"{api}/tickers/{ticker}/history?days=365")
    if len(days) < 365:
        return [d for d in days if d["Date"].startswith(YEAR)]
    newest = stack.table.query(ticker_pk(ticker), newest_first=True, limit=1)[0]
    assert days[0]["Close"] == Decimal(newest["Close"]["N"]), "the route serves the table's items"
    items = stack.table.query(
        ticker_pk(ticker), first=f"{YEAR}-01-01", last=f"{YEAR}-12-31", newest_first=True
    )
    return [
        {"Date": i["Date"]["S"], "Ticker": i["Ticker"]["S"],
         **{k: Decimal(i[k]["N"]) for k in ("Open", "High", "Low", "Close", "Volume", "PercentChange")}}
        for i in items
    ]  # fmt: skip


def test_the_applied_catalog_is_the_writers_schema_with_projection_and_the_workgroup_is_enforced(
    stack: StackHandle,
) -> None:
    glue, athena = stack.stack.client("glue"), stack.stack.client("athena")
    database = stack.outputs["query_database"]
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName=database)["TableList"]}
    for name, schema in (("daily_bars", BARS.SCHEMA), ("analysis", ANALYSIS.SCHEMA)):
        t = tables[name]
        columns = [(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]]
        assert columns == [(f.name, glue_type(f.type)) for f in schema], name
        assert [(k["Name"], k["Type"]) for k in t["PartitionKeys"]] == [("year", "string"), ("day", "string")]
        params = t["Parameters"]
        assert params["projection.enabled"] == "true"
        assert params["storage.location.template"] == (
            f"s3://{stack.outputs['bucket_name']}/curated/{name}/year=${{year}}/date=${{day}}/"
        )
    config = athena.get_work_group(WorkGroup=stack.outputs["query_workgroup"])["WorkGroup"]["Configuration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["BytesScannedCutoffPerQuery"] == 1073741824
    results = config["ResultConfiguration"]
    assert results["OutputLocation"].startswith(f"s3://{stack.outputs['query_results_bucket']}/")
    assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}


def test_the_documented_example_queries_give_the_apis_numbers(
    stack: StackHandle, stored: list[str], api: str, query: Any
) -> None:
    found = examples()
    assert set(found) == {
        "A ticker's history",
        "The day's winner",
        "Win counts",
        "The biggest moves of a year",
    }

    # A ticker's history: the rows of GET /tickers/TSLA/history in the year, newest first, field for field
    rows = query(found["A ticker's history"])
    year = history(api, "TSLA", stack)
    # the year may hold more than the query's 30 days (test_backfill's five years reach it): this test's
    # days are in the API's year, and the query's rows are that year's newest 30
    assert set(stored) <= {d["Date"] for d in year}
    expected = year[:30]
    assert len(rows) == len(expected) > 0
    assert [
        (
            r["date"],
            *(Decimal(r[k] or "NaN") for k in ("open", "high", "low", "close", "volume", "pct_change")),
        )
        for r in rows
    ] == [
        (d["Date"], d["Open"], d["High"], d["Low"], d["Close"], d["Volume"], d["PercentChange"])
        for d in expected
    ]

    # The day's winner: what GET /movers/{date} answers for this test's days, and the stored winner item
    # (what that route serves) for every day of the year the query finds
    rows = query(found["The day's winner"])
    assert set(stored) <= {r["date"] for r in rows}
    items = {w["Date"]["S"]: w for w in stack.winners() if w["Date"]["S"].startswith(YEAR)}
    assert sorted(items, reverse=True) == [r["date"] for r in rows]
    winners = {}
    for r in rows:
        item = items[r["date"]]
        winners[r["date"]] = item["Ticker"]["S"]
        answer = (r["ticker"], Decimal(r["pct_change"] or "NaN"), Decimal(r["close"] or "NaN"))
        assert answer == (
            item["Ticker"]["S"], Decimal(item["PercentChange"]["N"]), Decimal(item["ClosingPrice"]["N"]),
        ), r["date"]  # fmt: skip
        if r["date"] in stored:
            mover = get(f"{api}/movers/{r['date']}")
            assert answer == (mover["Ticker"], mover["PercentChange"], mover["ClosingPrice"]), r["date"]

    # Win counts: the API's winners of those days, counted
    rows = query(found["Win counts"])
    assert {r["ticker"]: int(r["wins"] or -1) for r in rows} == dict(collections.Counter(winners.values()))

    # The biggest moves of a year: the ten largest |percent change| of every ticker's API history in the year
    rows = query(found["The biggest moves of a year"])
    days = [d for t in TICKERS for d in history(api, t, stack)]
    days.sort(key=lambda d: (-abs(d["PercentChange"]), d["Date"], d["Ticker"]))
    assert len(rows) == 10
    assert [
        (r["date"], r["ticker"], *(Decimal(r[k] or "NaN") for k in ("pct_change", "open", "close")))
        for r in rows
    ] == [(d["Date"], d["Ticker"], d["PercentChange"], d["Open"], d["Close"]) for d in days[:10]]
