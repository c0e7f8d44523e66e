"""The fast handler tier: each functions/<name>/app.py imported as Lambda imports it (its folder first on the
path, its own settings read at import from the environment Terraform gives it) and called with a Lambda
context; AWS is moto's in-process `mock_aws` (no server, no sockets) or a fake, the provider a fake.

`load_handler(name)` sets exactly the variables the function's settings read (stock_movers.settings) to test
values, or the `env` given, after unsetting every other settings variable, so a handler that reads one
Terraform does not give it fails here as it would on AWS.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stock_movers.settings import variables
from stock_movers.settings.functions import FUNCTION_SETTINGS

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS_DIR = ROOT / "functions"
REGION = "us-east-1"
ACCOUNT = "123456789012"
TABLE = "movers-main"
CONTROL = "movers-control"
BUCKET = "movers-data"
INGEST_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:movers-ingest"
BACKFILL_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:movers-backfill"
ANALYSIS_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:movers-analysis"

# A test value for every variable a function's settings may read (what Terraform would set).
DEPLOYED: dict[str, str] = {
    "TABLE_NAME": TABLE,
    "CONTROL_TABLE_NAME": CONTROL,
    "BUCKET_NAME": BUCKET,
    "BOARD_SIZE": "10",
    "WATCHLIST_KEY": "config/watchlist.json",
    "WATCHLIST_VERSION": "v1",
    "MARKET_PROVIDER": "massive",
    "PROVIDER_DAILY_CALLS": "",
    "FETCH_STRATEGY": "per_ticker",
    "MAX_TICKERS": "500",
    "PROVIDER_BASE_URL": "",
    "API_KEY_SECRET_ARN": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:provider-api-key",
    "API_KEY_CACHE_SECONDS": "300",
    "RATE_LIMIT_CALLS": "5",
    "RATE_LIMIT_PERIOD_SECONDS": "60",
    "RATE_LIMIT_ALLOWANCE_SECONDS": "0.5",
    "RATE_LIMIT_MAX_WAIT_SECONDS": "20",
    "RATE_LIMIT_WAIT_BUDGET_SECONDS": "1800",
    "IDEMPOTENCY_TTL_SECONDS": "3600",
    "FAILOVER_PROVIDERS": "[]",
    "FAILOVER_PROVIDER_NAMES": "",
    "BACKFILL_MAX_SPAN_DAYS": "1832",
    "BACKFILL_BATCH_SIZE": "40",
    "UNUSUAL_THRESHOLD": "2.0",
    "MARKET_MIN_PRICE": "5",
    "MARKET_MIN_VOLUME": "100000",
    "ANALYSIS_BATCH_SIZE": "50",
    "ANALYSIS_STATE_MACHINE_ARN": ANALYSIS_ARN,
    "EVENT_BUS_NAME": "default",
    "EVENT_SOURCE": "stock-movers.test",
    "CATCHUP_SESSIONS": "10",
    "RECONCILE_SESSIONS": "3",
    "ALERT_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts",
    "STATE_MACHINE_ARN": INGEST_ARN,
    "CORS_ALLOW_ORIGIN": "*",
    "DEAD_LETTER_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/movers-market-data-dlq",
    "POWERTOOLS_SERVICE_NAME": "stock-movers",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
CREDENTIALS = {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}  # fmt: skip
ALL_SETTINGS_VARIABLES = frozenset().union(*(variables(cls) for cls in FUNCTION_SETTINGS.values()))
_loads = itertools.count()
# The deployed watchlist object (the version WATCHLIST_VERSION names), served by WatchlistObject.
WATCHLIST = ("AAPL", "MSFT", "NVDA")


class WatchlistObject:
    """A fake S3 client holding the watchlist object Terraform writes: exactly that key and version."""

    def __init__(self, tickers: Sequence[str] = WATCHLIST) -> None:
        self.body = json.dumps({"tickers": list(tickers)}).encode()
        self.reads = 0

    def get_object(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs == {"Bucket": BUCKET, "Key": DEPLOYED["WATCHLIST_KEY"],
                          "VersionId": DEPLOYED["WATCHLIST_VERSION"]}  # fmt: skip
        self.reads += 1
        return {"Body": io.BytesIO(self.body)}


class LambdaContext:
    """What the Lambda runtime passes as `context` (the attributes Powertools and the handlers read)."""

    def __init__(self, function_name: str = "handler", timeout_ms: int = 30_000) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 256
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.aws_request_id = "req-0001"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "2026/01/05/[$LATEST]0001"
        self._deadline = time.monotonic() * 1000 + timeout_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline - time.monotonic() * 1000))


@pytest.fixture
def lambda_context() -> LambdaContext:
    """Given a Lambda context of 30 s."""
    return LambdaContext()


def deployed_env(function: str) -> dict[str, str]:
    """The test values of exactly the variables `function`'s settings read."""
    return {name: DEPLOYED[name] for name in variables(FUNCTION_SETTINGS[function])}


@pytest.fixture
def load_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """Given a loader of functions/<name>/app.py under `env` (default: its deployed variables)."""
    # AWS: a region and dummy credentials; Powertools: a metrics namespace (the shared Metrics object read
    # its namespace when first imported, maybe before this test set it).
    for name, value in {**CREDENTIALS, "POWERTOOLS_METRICS_NAMESPACE": "StockMovers"}.items():
        monkeypatch.setenv(name, value)
    from stock_movers import observability
    from stock_movers.adapters.aws import client

    monkeypatch.setattr(observability.metrics, "namespace", "StockMovers")
    client.cache_clear()  # clients of an earlier test's mock, or none

    def load(function: str, env: Mapping[str, str] | None = None) -> ModuleType:
        for name in ALL_SETTINGS_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in (deployed_env(function) if env is None else env).items():
            monkeypatch.setenv(name, value)
        module = _import_app(function)
        source = getattr(module, "_watchlist", None)
        if source is not None:  # the deployed watchlist object, not a real S3
            source._s3 = WatchlistObject()
        return module

    yield load
    client.cache_clear()


def _import_app(function: str) -> ModuleType:
    """functions/<function>/app.py, freshly imported with its folder first on sys.path. Modules of the
    folder (e.g. parquet.py, movers_api/) are imported afresh and taken out of sys.modules again, so
    another function's module of the same name, or another test's, is never reused."""
    folder = FUNCTIONS_DIR / function
    packages = {p.name for p in folder.iterdir() if (p / "__init__.py").exists()}
    own = {p.stem for p in folder.glob("*.py")} | packages
    before = {m: mod for m, mod in sys.modules.items() if m.split(".")[0] in own}
    for m in before:
        del sys.modules[m]
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(f"{function}_app_{next(_loads)}", folder / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(folder))
        for m in [m for m in sys.modules if m.split(".")[0] in own]:
            del sys.modules[m]
        sys.modules.update(before)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Given an in-process AWS (moto's mock_aws: no server, no socket) with the main and control tables and
    the versioned data bucket, as Terraform creates them."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in (("pk", "HASH"), ("sk", "RANGE"))],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k in ("pk", "sk")],
            BillingMode="PAY_PER_REQUEST",
        )
        ddb.create_table(
            TableName=CONTROL,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield {"dynamodb": ddb, "s3": s3}


def state_machine(name: str) -> str:
    """A state machine of that name in the mock (a Pass state; moto does not run it): its ARN."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    role = f"arn:aws:iam::{ACCOUNT}:role/sfn"
    definition = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}'
    return str(sfn.create_state_machine(name=name, definition=definition, roleArn=role)["stateMachineArn"])
