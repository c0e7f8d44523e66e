"""Issue 16 item 4: with the primary provider answering 503 throughout, the daily run succeeds on the failover
provider and records it; when every provider fails (Massive's PlanLimitError, then Tiingo's 503s after
their retries), the run fails with the last provider's named error and writes nothing. (That the failover
provider gets no call while the primary answers is the unit tests' and the ASL's: a Catch taken only on
those errors; a third run here would double the test's cost.)

The shared stack is applied without failover providers (other stack tests expect a provider fault to fail a
run), so the failover is released the way `terraform apply -var 'failover_providers=[{provider="tiingo"}]'`
releases it: FAILOVER_PROVIDER_NAMES on validate_input and FAILOVER_PROVIDERS on fetch_bars, restored after.
One market server speaks Massive and Tiingo over the same dataset; the failover entry names the primary's
secret ARN, the one secret the applied fetch role may read (a real deployment's failover key has a secret of
its own, read by fetch_bars alone: infrastructure/tests/operations.tftest.hcl plans it).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator

import pytest

from tests.support import oracle
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack

# A session no other stack test names, with no stored winner in the sessions before it (no healing backfill)
DAY = "2025-05-21"  # after the five-year backfill (2020-2024), before test_ingest_strategies' June days
TICKERS = ["AAPL", "MSFT"]
MASSIVE = ["range", "grouped", "prev", "open_close"]


@contextlib.contextmanager
def tiingo_failover(stack: StackHandle) -> Iterator[None]:
    lam = stack.stack.client("lambda")
    names = stack.outputs["function_names"]
    validate = {
        **lam.get_function_configuration(FunctionName=names["validate_input"])["Environment"]["Variables"]
    }
    fetch = {**lam.get_function_configuration(FunctionName=names["fetch_bars"])["Environment"]["Variables"]}
    entry = {
        "provider": "tiingo",
        "baseUrl": fetch["PROVIDER_BASE_URL"],
        "apiKeySecretArn": fetch["API_KEY_SECRET_ARN"],
        "rateLimitCalls": 50,
        "rateLimitPeriodSeconds": 3600,
    }
    with contextlib.ExitStack() as released:
        released.enter_context(
            stack.released(
                names["validate_input"],
                Environment={"Variables": {**validate, "FAILOVER_PROVIDER_NAMES": "tiingo"}},
            )
        )
        released.enter_context(
            stack.released(
                names["fetch_bars"],
                Environment={"Variables": {**fetch, "FAILOVER_PROVIDERS": json.dumps([entry])}},
            )
        )
        yield


def _calls(stack: StackHandle, endpoints: list[str]) -> int:
    by_endpoint = stack.market.stats()["by_endpoint"]
    return sum(int(by_endpoint.get(e, 0)) for e in endpoints)


def test_the_run_fails_over_to_the_secondary_provider_and_records_it(stack: StackHandle) -> None:
    stack.quiesce()
    tag = uuid.uuid4().hex[:6]
    payload = {"date": DAY, "tickers": TICKERS, "force": True}
    try:
        with tiingo_failover(stack):
            # Given, for AAPL on DAY, Massive refusing the plan (PlanLimitError, not retried) and then Tiingo
            # answering 503 to its first call and its three retries (one ticker: every attempt is a call)
            script = ["403", "503", "503", "503", "503"]
            stack.market.set_faults({"script": script, "dates": [DAY], "tickers": ["AAPL"]})
            injected = dict(stack.market.stats()["faults_injected"])
            # When the daily run runs, Then it fails with the last provider's own error name, and nothing
            # of the day is written
            both = stack.run("ingest", f"failover-both-{DAY}-{tag}", {**payload, "tickers": ["AAPL"]})
            assert both["status"] == "FAILED" and both.get("error") == "ProviderUnavailable", both
            assert "tiingo" in both.get("cause", ""), both.get("cause")
            now = stack.market.stats()["faults_injected"]
            assert {k: now.get(k, 0) - injected.get(k, 0) for k in ("403", "503")} == {"403": 1, "503": 4}
            written = stack.day_written(DAY)
            assert written == {"winner": None, "ticker_items": [], "parquet": []}, written

            # Given Massive (the primary) answering 503 throughout
            faults = {"kinds": ["503"], "probability": 1.0, "dates": [DAY], "endpoints": MASSIVE}
            stack.market.set_faults(faults)
            tiingo_before = _calls(stack, ["tiingo_prices"])
            # When the daily run runs
            run = stack.run("ingest", f"failover-{DAY}-{tag}", payload)
            # Then it succeeds on Tiingo: the winner is the dataset's (the oracle's), recorded as Tiingo's,
            # and so is every ticker's item; Tiingo got one call per ticker
            assert run["status"] == "SUCCEEDED", run.get("cause")
            assert json.loads(run["output"])["heal"]["status"] == "NoGaps", run["output"]
            item = stack.winner(DAY)
            assert item is not None
            assert (item["Ticker"]["S"], item["PercentChange"]["N"]) == oracle.winner(DAY, TICKERS)
            assert item["Provider"]["S"] == "tiingo"
            items = {t: stack.ticker_day(t, DAY) for t in TICKERS}
            assert {t: i["Provider"]["S"] for t, i in items.items() if i} == dict.fromkeys(TICKERS, "tiingo")
            assert _calls(stack, ["tiingo_prices"]) - tiingo_before == len(TICKERS)
    finally:
        stack.market.set_faults(None)
        stack.forget_day(DAY)  # later runs must not heal from a day of two tickers
