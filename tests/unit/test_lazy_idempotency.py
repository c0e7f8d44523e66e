"""The fetch functions' idempotency is built on first call, so their cold import loads no boto3, and it still
remembers a request (Powertools' idempotent_function over an in-memory store)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer, IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

ROOT = Path(__file__).resolve().parents[2]
ENV = {
    "TABLE_NAME": "t",
    "CONTROL_TABLE_NAME": "c",
    "BUCKET_NAME": "b",
    "API_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:k",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


class MemoryStore(BasePersistenceLayer):
    """An in-memory persistence layer: the records Powertools would keep in DynamoDB."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, DataRecord] = {}

    def _get_record(self, idempotency_key: str) -> DataRecord:
        if idempotency_key not in self.records:
            raise IdempotencyItemNotFoundError
        return self.records[idempotency_key]

    def _put_record(self, data_record: DataRecord) -> None:
        old = self.records.get(data_record.idempotency_key)
        if old is not None and not old.is_expired:
            raise IdempotencyItemAlreadyExistsError(old_data_record=old)
        self.records[data_record.idempotency_key] = data_record

    def _update_record(self, data_record: DataRecord) -> None:
        self.records[data_record.idempotency_key] = data_record

    def _delete_record(self, data_record: DataRecord) -> None:
        self.records.pop(data_record.idempotency_key, None)


class Context:
    function_name = "fetch"
    aws_request_id = "r-1"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


@pytest.fixture
def wiring() -> Iterator[ModuleType]:
    """The wiring module, imported for this test only: the modules it brings in (the observability singletons,
    which read their settings from the environment once) are dropped afterwards, so later tests import them
    under their own environment."""
    before = set(sys.modules)
    yield importlib.import_module("stock_movers.usecases.wiring")
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.mark.parametrize("function", ["fetch_bars", "fetch_range"])
def test_importing_a_fetch_handler_loads_no_aws_sdk(function: str) -> None:
    # Given the handler module with the shared layer on the path (boto3 is installed, so it could load)
    script = (
        f"import sys; sys.path[:0] = [{str(ROOT / 'functions' / function)!r}, "
        f"{str(ROOT / 'layers' / 'shared' / 'python')!r}]\n"
        "import app\n"
        "print(sorted(m for m in sys.modules if m.startswith(('boto3', 'botocore.'))))"
    )
    # When it is imported, as Lambda's init phase does
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env={**ENV, "PATH": "/usr/bin:/bin"}
    )
    # Then neither boto3 nor any of botocore was loaded (Powertools imports the bare `botocore` package
    # only to test that it exists: no session, client or service model)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_lazy_decorator_remembers_a_request_and_applies_the_context(
    wiring: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MemoryStore()
    built: list[IdempotencyConfig] = []

    def idempotency(key_fields: str, settings: Any) -> tuple[IdempotencyConfig, MemoryStore]:
        config = IdempotencyConfig(event_key_jmespath=key_fields, raise_on_no_idempotency_key=True)
        built.append(config)
        return config, store

    monkeypatch.setattr(wiring, "idempotency", idempotency)
    calls: list[dict[str, Any]] = []
    lazy = wiring.LazyIdempotent("[ticker, date]", settings=None)

    @lazy
    def fetch(request: dict[str, str]) -> dict[str, Any]:
        calls.append(request)
        return {"n": len(calls)}

    # Given nothing is built at decoration time
    assert built == []
    # When the handler registers its context and calls twice with one request, then once with another
    lazy.register_lambda_context(Context())
    first = fetch(request={"ticker": "AAPL", "date": "2026-01-02"})
    again = fetch(request={"ticker": "AAPL", "date": "2026-01-02"})
    other = fetch(request={"ticker": "MSFT", "date": "2026-01-02"})
    # Then the config was built once with the context, the repeat was answered from the store
    assert len(built) == 1 and built[0].lambda_context is not None
    assert first == again == {"n": 1} and other == {"n": 2}
    assert [c["ticker"] for c in calls] == ["AAPL", "MSFT"]
    assert len(store.records) == 2
    assert json.loads(next(iter(store.records.values())).response_data) == {"n": 1}
