"""Measurement: the daily analysis over 500 tickers x 1 year of stored history, batched as the daily-analysis
machine runs it (issue 17 item 6), in process against moto's in-process DynamoDB and S3 (no stack, no
Step Functions engine).

The history is a deterministic SYNTHETIC random walk per ticker (not market data), written with the
pipeline's own ItemStore; the winner of each session is the largest absolute move. The run is the machine's
work, step by step, with the production code: Prepare's plan (`plan_batches`), one `analyse_batch` per
batch (`map_max_concurrency` of them at a time, as the Map runs them), Store Analysis's `read_batches`,
`summarise_day`, the Parquet and the item, the report. The state payloads are the states the ASL builds
(`$.batches`, `$.analysed`, `$.stored` beside the input and the stored winner), serialised as Step Functions
counts them (UTF-8 JSON); wall times are this machine's, in process, without Lambda or Step Functions
overheads. A ticker's figures read its newest 21 stored days (one Query with Limit 21), so by default 21
are stored per ticker (loading a year, 126,000 items, into in-process moto takes ~10 minutes here; the
third argument does it). Run `python bench/analysis_scale.py [tickers] [batch size] [sessions]`; prints
JSON.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root and the shared layer importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "layers" / "shared" / "python"))
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3
from moto import mock_aws

from stock_movers.adapters.storage import ItemStore, RawStore, winner_key
from stock_movers.domain.analytics import ANALYSIS_BATCH_DEFAULT, DEFAULT_UNUSUAL_THRESHOLD, report
from stock_movers.domain.calendar import last_n_sessions
from stock_movers.usecases.analysis import (
    BatchRequest,
    HistoryStore,
    analyse_batch,
    plan_batches,
    read_batches,
    summarise_day,
    to_attribute,
)

ROOT = Path(__file__).resolve().parents[1]
DAY = dt.date(2025, 11, 28)
WINNER_SESSIONS = 90  # the win windows' reach: winners are stored for these sessions
TICKER_SESSIONS = 21  # per-ticker days stored (what one ticker's Query reads); a year is the 3rd argument
MAP_CONCURRENCY = 6  # map_max_concurrency's default
LIMIT = 256 * 1024
TABLE, BUCKET = "bench-main", "bench-data"
EXECUTION = "bench-analysis-0123456789abcdef0123456789abcdef"


def _symbols(n: int) -> list[str]:
    out = []
    for i in range(n):
        name, k = "", i
        while True:
            name = chr(ord("A") + k % 26) + name
            k = k // 26 - 1
            if k < 0:
                break
        out.append(name)
    return out


def _history(
    tickers: list[str], days: list[dt.date]
) -> tuple[list[dict[str, Any]], dict[dt.date, tuple[str, Decimal]]]:
    rng = random.Random(17)
    rows: list[dict[str, Any]] = []
    best: dict[dt.date, tuple[str, Decimal]] = {}
    for t in tickers:
        for d in days:
            pct = Decimal(str(round(rng.gauss(0, 1.8), 6)))
            bar = {"open": "10", "high": "11", "low": "9", "close": "10.5", "volume": 1000}
            rows.append(
                {"ticker": t, "date": d.isoformat(), **bar, "percentChange": pct, "provider": "synthetic"}
            )
            if d not in best or abs(pct) > abs(best[d][1]):
                best[d] = (t, pct)
    return rows, best


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def run(
    tickers: int = 500, batch_size: int = ANALYSIS_BATCH_DEFAULT, sessions: int = TICKER_SESSIONS
) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location(
        "bench_parquet", ROOT / "functions/analysis_store/parquet.py"
    )
    assert spec and spec.loader
    parquet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(parquet)
    for k, v in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench",
                 "AWS_SECRET_ACCESS_KEY": "bench"}.items():  # fmt: skip
        os.environ.setdefault(k, v)
    names = _symbols(tickers)
    days = last_n_sessions(DAY, max(sessions, WINNER_SESSIONS))
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in (("pk", "HASH"), ("sk", "RANGE"))],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
            BillingMode="PAY_PER_REQUEST",
        )
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        items = ItemStore(TABLE, ddb)
        rows, best = _history(names, days)
        started = time.monotonic()
        kept = {d.isoformat() for d in days[-sessions:]}
        items.put_ticker_days([r for r in rows if r["date"] in kept])
        for d, (t, pct) in best.items():
            ddb.put_item(TableName=TABLE, Item=_winner(d, t, pct))
        load = time.monotonic() - started

        store, objects = HistoryStore(TABLE, ddb), RawStore(BUCKET, s3)
        state: dict[str, Any] = {"input": {"date": DAY.isoformat(), "tickers": names}}
        t0 = time.monotonic()
        plan = plan_batches(names, batch_size)
        state |= {"date": DAY.isoformat(), "tickers": len(names), "batches": plan, "force": False}
        state["storedWinner"] = {
            "Item": {"Ticker": {"S": best[DAY][0]}, "PercentChange": {"N": str(best[DAY][1])}}
        }
        t1 = time.monotonic()
        requests = [BatchRequest(DAY, b["batch"], tuple(b["tickers"]), EXECUTION) for b in plan]
        with ThreadPoolExecutor(max_workers=MAP_CONCURRENCY) as pool:
            answers = list(
                pool.map(
                    lambda r: analyse_batch(store, objects, r, threshold=DEFAULT_UNUSUAL_THRESHOLD), requests
                )
            )
        iteration_inputs = [{"batch": r.batch, "tickers": list(r.tickers), "date": DAY.isoformat(),
                             "executionName": EXECUTION} for r in requests]  # fmt: skip
        state["analysed"] = answers
        store_input = {"date": state["date"], "batches": plan, "results": answers, "executionName": EXECUTION}
        t2 = time.monotonic()
        analyses = read_batches(objects, DAY, EXECUTION, plan, answers)
        summary = summarise_day(store, DAY, analyses, threshold=DEFAULT_UNUSUAL_THRESHOLD)
        body = parquet.analysis_parquet(summary)
        item = {k: to_attribute(v) for k, v in summary.items()}
        store.put_summary(summary)
        subject, message = report(summary)
        t3 = time.monotonic()
        state["stored"] = {
            "date": summary["Date"],
            "status": summary["Status"],
            "unusual": summary["Unusual"],
        }
        state["stored"] |= {"parquetKey": parquet.analysis_key(DAY), "subject": subject, "message": message}
        state["published"] = {"messageId": "0" * 36}
        work = s3.list_objects_v2(Bucket=BUCKET, Prefix="work/analysis/")["Contents"]

    largest = max(_size(state), _size(store_input), max(_size(i) for i in iteration_inputs))
    return {
        "tickers": tickers,
        "stored sessions per ticker": sessions,
        "stored winners": len(best),
        "batch size": batch_size,
        "Map iterations (Lambda invocations)": len(plan),
        "history load (s, not part of the run)": round(load, 1),
        "Prepare plan (s)": round(t1 - t0, 3),
        "Analyse Tickers, all batches (s)": round(t2 - t1, 2),
        "Store Analysis: read, reduce, Parquet, item (s)": round(t3 - t2, 2),
        "largest state payload (bytes)": largest,
        "largest state payload / 256 KB": f"{largest / LIMIT:.1%}",
        "Store Analysis input (bytes)": _size(store_input),
        "largest Map answer (bytes)": max(_size(a) for a in answers),
        "work objects": len(work),
        "largest work object (bytes)": max(o["Size"] for o in work),
        "analysis item (DynamoDB JSON bytes)": _size(item),
        "analysis Parquet (bytes)": len(body),
        "report message (bytes)": len(message.encode()),
        "unusual tickers": len(summary["Unusual"]),
        "status": summary["Status"],
    }


def _winner(day: dt.date, ticker: str, pct: Decimal) -> dict[str, Any]:
    return {**winner_key(day), "Date": {"S": day.isoformat()}, "Ticker": {"S": ticker},
            "PercentChange": {"N": str(pct)}}  # fmt: skip


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    print(json.dumps(run(*args), indent=2))
