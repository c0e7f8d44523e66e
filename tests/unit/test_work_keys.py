"""The S3 work objects' keys (stock_movers.adapters.storage): one builder each, every key under a lifecycle
rule that expires it (infrastructure/storage.tf), and the reconcile's revised days readable by exactly the
steps that need them (infrastructure/*.tf grants)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from stock_movers.adapters.storage import (
    analysis_work_key,
    backfill_day_work_key,
    bar_work_key,
    day_work_key,
    pushed_work_key,
    reconcile_day_work_key,
)

INFRA = Path(__file__).resolve().parents[2] / "infrastructure"
RUN = "reconcile-20210324-1"
DAY = dt.date(2021, 3, 24)


def expiring_prefixes() -> list[str]:
    """The prefixes of storage.tf's lifecycle rules that expire current objects."""
    text = (INFRA / "storage.tf").read_text(encoding="utf-8")
    rules = re.findall(r'rule \{\s*id\s*=\s*"[^"]+".*?\n  \}', text, flags=re.S)
    expiring = [r for r in rules if re.search(r"\n\s+expiration \{", r)]
    return [m.group(1) for r in expiring if (m := re.search(r'prefix = "([^"]*)"', r))]


def granted(file: str, sid: str) -> tuple[list[str], list[str]]:
    """The actions and resources (bucket ARN prefix stripped) of the policy statement `sid` in `file`."""
    text = (INFRA / file).read_text(encoding="utf-8")
    block = re.search(rf'sid\s*=\s*"{sid}"(.*?)\n    \}}', text, flags=re.S)
    assert block, f"{file} has no statement {sid}"
    actions = re.findall(r'"(s3:\w+)"', block.group(1))
    resources = re.findall(r'"\$\{module\.data_bucket\.arn\}/([^"]+)"', block.group(1))
    return actions, resources


def under(key: str, pattern: str) -> bool:
    return key.startswith(pattern.removesuffix("*"))


def test_a_reconciles_revised_day_has_a_key_of_its_execution_and_date() -> None:
    key = reconcile_day_work_key(RUN, DAY)
    assert key == "work/reconcile/days/reconcile-20210324-1/2021-03-24.json"
    assert reconcile_day_work_key(RUN, DAY + dt.timedelta(days=1)) != key
    assert reconcile_day_work_key("reconcile-other", DAY) != key
    # never where another pipeline parks its days
    assert not key.startswith(("work/ingest/", "work/backfill/", "work/analysis/"))


@pytest.mark.parametrize(
    "key",
    [
        bar_work_key(RUN, "AAPL"),
        day_work_key(RUN),
        pushed_work_key(RUN),
        backfill_day_work_key(RUN, DAY),
        analysis_work_key(RUN, 3),
        reconcile_day_work_key(RUN, DAY),
    ],
)
def test_every_work_object_expires_by_a_lifecycle_rule(key: str) -> None:
    assert any(key.startswith(prefix) for prefix in expiring_prefixes() if prefix), key


def test_the_revised_day_is_put_and_read_back_by_the_reconcile_and_read_by_store_day_only_there() -> None:
    key = reconcile_day_work_key(RUN, DAY)
    actions, resources = granted("reconcile.tf", "RevisedDayWorkObjects")
    assert sorted(actions) == ["s3:GetObject", "s3:PutObject"] and resources == ["work/reconcile/days/*"]
    actions, resources = granted("functions.tf", "ReadValidatedDay")
    assert actions == ["s3:GetObject"]
    assert [r for r in resources if under(key, r)] == ["work/reconcile/days/*"]
