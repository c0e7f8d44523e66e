"""The fetch_bars handler: no slot is a Wait answer (not an error), and idempotency is per execution.

The handler runs as Lambda loads it, with Powertools idempotency over an in-process moto DynamoDB; the
provider, limiter and raw store are fakes put in place of its provider context.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stock_movers.adapters.ratelimiter import Acquired, SlotUnavailable
from stock_movers.domain.bars import DailyBar
from stock_movers.execution_names import daily_execution_name
from stock_movers.providers.base import FetchResult
from stock_movers.providers.errors import ProviderUnavailable
from stock_movers.usecases.fetch import FetchContext
from stock_movers.usecases.wiring import invocation_deadline

APP = Path(__file__).resolve().parents[2] / "functions" / "fetch_bars" / "app.py"
CONTROL = "control"
DAY = dt.date(2025, 3, 4)
GOOD = {"ticker": "AAPL", "date": "2025-03-04", "open": "100", "high": "103", "low": "99", "close": "102",
        "volume": "1000"}  # fmt: skip


FAILOVER = {"provider": "tiingo", "baseUrl": "", "rateLimitCalls": 50, "rateLimitPeriodSeconds": 3600,
            "apiKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:failover-1"}  # fmt: skip


class FakeProvider:
    name = "massive"
    basis = "adjusted"

    def __init__(self, name: str = "massive") -> None:
        self.name = name
        self.calls = 0
        self.during_call: list[Any] = []
        self.on_call: Any = None

    def daily_bar(self, ticker: str, day: dt.date) -> FetchResult:
        self.calls += 1
        if self.on_call:
            self.during_call.append(self.on_call())
        return FetchResult(self.name, (DailyBar.from_dict({**GOOD, "ticker": ticker}),), (b"{}",), 1)


class FakeLimiter:
    def __init__(self) -> None:
        self.wait: float | None = None
        self.in_flight: set[float] = set()
        self.deadlines: list[float | None] = []

    def acquire(self, max_wait_seconds: float, deadline: float | None = None) -> Acquired:
        self.deadlines.append(deadline)
        if self.wait is not None:
            raise SlotUnavailable(self.wait)
        acquired = Acquired(at=time.time(), waited_seconds=0.0, attempts=1)
        self.in_flight.add(acquired.at)
        return acquired

    def complete(self, at: float) -> None:
        self.in_flight.remove(at)


class FakeRaw:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_pages(self, keys: Sequence[str], pages: Sequence[bytes]) -> list[str]:
        self.objects.update(zip(keys, pages, strict=True))
        return list(keys)

    def put_bytes(self, key: str, body: bytes, content_type: str) -> str | None:
        self.objects[key] = body
        return None


def context(remaining_ms: int = 60_000) -> SimpleNamespace:
    deadline = time.time() * 1000 + remaining_ms
    return SimpleNamespace(
        function_name="fetch_bars",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:fetch_bars",
        aws_request_id="req-1",
        get_remaining_time_in_millis=lambda: int(deadline - time.time() * 1000),
    )


@pytest.fixture
def fetch(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, FakeProvider, FakeLimiter]]:
    env = {
        "TABLE_NAME": "main", "CONTROL_TABLE_NAME": CONTROL, "BUCKET_NAME": "data",
        "API_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:key",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_LAMBDA_FUNCTION_NAME": "fetch_bars", "POWERTOOLS_METRICS_NAMESPACE": "StockMovers",
        "POWERTOOLS_SERVICE_NAME": "stock-movers", "RATE_LIMIT_WAIT_BUDGET_SECONDS": "600",
        "FAILOVER_PROVIDERS": json.dumps([FAILOVER]),
    }  # fmt: skip
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    # the shared Metrics object read its namespace when first imported, maybe before this test set it
    from stock_movers import observability

    monkeypatch.setattr(observability.metrics, "namespace", "StockMovers")
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName=CONTROL,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        spec = importlib.util.spec_from_file_location(f"fetch_bars_app_{time.monotonic_ns()}", APP)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        provider, limiter = FakeProvider(), FakeLimiter()
        ctx = FetchContext(provider=provider, limiter=limiter, raw=FakeRaw(), max_wait_seconds=1,  # type: ignore[arg-type]
                           deadline=invocation_deadline)  # fmt: skip
        monkeypatch.setattr(module, "provider_context", lambda settings, index=0: ctx)
        yield module, provider, limiter


def event(execution: str, **extra: Any) -> dict[str, Any]:
    return {"ticker": "AAPL", "date": DAY.isoformat(), "executionName": execution, **extra}


def test_no_slot_is_a_wait_answer_and_leaves_nothing_cached(fetch: Any) -> None:
    # Given a limiter whose next slot is 12.3 s away, when the fetch runs, then it answers Wait (13 whole
    # seconds, waiting since now) without calling the provider; and when the slot is there, the same
    # execution's next try calls the provider (the Wait was not cached as the fetch's result).
    module, provider, limiter = fetch
    limiter.wait = 12.3
    before = time.time()
    out = module.handler(event(daily_execution_name("2025-03-04")), context())
    assert (
        out["status"] == "Wait" and out["waitSeconds"] == 13 and before <= out["waitingSince"] <= time.time()
    )
    assert provider.calls == 0
    limiter.wait = None
    again = module.handler(
        event(daily_execution_name("2025-03-04"), slot={"waitingSince": out["waitingSince"]}), context()
    )
    assert again["status"] == "Fetched" and again["bar"]["close"] == "102" and provider.calls == 1


def test_past_the_wait_budget_the_answer_is_rate_limited(fetch: Any) -> None:
    module, provider, limiter = fetch
    limiter.wait = 30.0
    out = module.handler(
        event(daily_execution_name("2025-03-04"), slot={"waitingSince": time.time() - 590}), context()
    )
    assert out["status"] == "RateLimited" and "600 s wait budget" in out["message"] and provider.calls == 0


def test_a_retry_of_one_execution_is_free_and_a_new_run_fetches_afresh(fetch: Any) -> None:
    # Given a fetched bar, when the same execution fetches it again (a retry or a redrive), then the stored
    # result is returned with no provider call; when another execution (a re-run, a forced run) fetches
    # it, then the provider is asked again.
    module, provider, _ = fetch
    first = module.handler(event(daily_execution_name("2025-03-04")), context())
    retry = module.handler(event(daily_execution_name("2025-03-04")), context())
    assert first == retry and provider.calls == 1
    rerun = module.handler(event("rerun-2025-03-04"), context())
    assert rerun["status"] == "Fetched" and provider.calls == 2


def test_the_in_progress_lock_ends_at_the_invocations_deadline(fetch: Any) -> None:
    # Given an invocation with 4 s left, when the fetch is in progress, then its idempotency record's
    # in-progress expiry is that deadline (register_lambda_context is in effect), not the 1 h record TTL.
    module, provider, _ = fetch
    ddb = boto3.client("dynamodb")
    provider.on_call = lambda: ddb.scan(TableName=CONTROL)["Items"]
    module.handler(event(daily_execution_name("2025-03-04")), context(remaining_ms=4_000))
    (items,) = provider.during_call
    (record,) = [i for i in items if i["status"]["S"] == "INPROGRESS"]
    expiry_s = int(record["in_progress_expiration"]["N"]) / 1000
    assert time.time() < expiry_s <= time.time() + 4.0
    assert json.dumps(record).count("AAPL") == 0  # the key is a hash; no data rides along in progress


def test_the_slot_knows_the_invocations_deadline_and_is_finished_even_when_the_call_fails(fetch: Any) -> None:
    # Given an invocation with 4 s left, when the fetch takes a slot, then the limiter is told the deadline
    # (a call stopped with the invocation cannot reach the provider later); and when the provider call
    # fails, then the slot is still marked finished, and the provider's error is what the run sees.
    module, provider, limiter = fetch
    module.handler(event(daily_execution_name(DAY)), context(remaining_ms=4_000))
    (deadline,) = limiter.deadlines
    assert deadline is not None and time.time() < deadline <= time.time() + 4.0
    assert limiter.in_flight == set()

    def boom() -> None:
        raise ProviderUnavailable("massive daily bar: HTTP 503")

    provider.on_call = boom
    with pytest.raises(ProviderUnavailable):
        module.handler(event("rerun-2025-03-04"), context())
    assert limiter.in_flight == set() and len(limiter.deadlines) == 2


def test_source_1_fetches_from_the_failover_provider_and_records_it(
    fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the primary (massive) and one failover provider (tiingo, its own secret and plan)
    module, primary, limiter = fetch
    tiingo = FakeProvider("tiingo")
    raw = FakeRaw()
    contexts = {
        0: FetchContext(provider=primary, limiter=limiter, raw=raw, max_wait_seconds=1),  # type: ignore[arg-type]
        1: FetchContext(provider=tiingo, limiter=limiter, raw=raw, max_wait_seconds=1),  # type: ignore[arg-type]
    }
    monkeypatch.setattr(module, "provider_context", lambda settings, index=0: contexts[index])
    # When the state machine asks for source 1 (the primary failed after its retries)
    out = module.handler(event(daily_execution_name(DAY), source=1), context())
    # Then the failover provider serves the bar, the primary gets no call, and the answer and the bar's
    # work object name the provider that served it
    assert out["status"] == "Fetched" and out["provider"] == "tiingo"
    assert (tiingo.calls, primary.calls) == (1, 0)
    assert json.loads(raw.objects[out["barKey"]])["provider"] == "tiingo"
    # And source 0 (the primary) of the same execution is its own idempotency record: asked afresh
    first = module.handler(event(daily_execution_name(DAY)), context())
    assert first["provider"] == "massive" and primary.calls == 1
    # And the configured failover is the settings' own: tiingo with its own key's secret and plan
    (source,) = module.settings.failover.providers
    assert (source.name, source.api_key_secret_arn, source.rate_limit_calls) == (
        "tiingo", FAILOVER["apiKeySecretArn"], 50,
    )  # fmt: skip


def test_a_source_beyond_the_configured_providers_is_a_settings_error(fetch: Any) -> None:
    # Given one failover provider, When source 2 is asked for (validate_input and fetch_bars out of step),
    # Then the fetch fails naming the variable, before any call
    from stock_movers.settings import SettingsError

    module, provider, _ = fetch
    with pytest.raises(SettingsError, match="FAILOVER_PROVIDERS has no provider 2"):
        module.handler(event(daily_execution_name(DAY), source=2), context())
    assert provider.calls == 0


@pytest.mark.parametrize("source", [-1, True, "1", 1.5])
def test_a_malformed_source_is_invalid_input(fetch: Any, source: Any) -> None:
    from stock_movers.domain.errors import InvalidInput

    module, provider, _ = fetch
    with pytest.raises(InvalidInput) as raised:
        module.handler(event(daily_execution_name(DAY), source=source), context())
    assert raised.value.field == "source" and provider.calls == 0
