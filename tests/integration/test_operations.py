"""Operations on the local AWS: alarms, dashboard and failure rule exist; a permanent provider fault lands
in the dead-letter queue and the audit trail; successes are audited; the staleness check; the restore
drill (replay) rebuilds deleted items and Parquet item for item and refuses failed, incomplete and corrupted
days; the API key is stored nowhere.

Dates: 2025-07-14..2025-07-22 (no other test uses July 2025; 2020-2024 is the backfill tests' five-year
span), so stored days never collide.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

import pytest

from movers.local.stack import LOCAL_API_KEY
from stock_movers.adapters.storage import AUDIT_PREFIX, WINNER_PK, ticker_pk
from tests.support.localstack import StackHandle

GOOD_DAYS = ("2025-07-14", "2025-07-15")
FAULT_DAY = "2025-07-16"
TICKERS = ["AAPL", "MSFT", "NVDA"]


def _poll(fetch: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fetch()
        if got:
            return got
        time.sleep(0.3)
    return fetch()


def _audit(stack: StackHandle, execution_name: str) -> dict[str, Any] | None:
    """The audit item of one execution (any day's partition: the stop date is today's, in New York)."""
    items = stack.ddb.scan(
        TableName=stack.outputs["table_name"],
        FilterExpression="begins_with(pk, :p) AND ExecutionName = :n",
        ExpressionAttributeValues={":p": {"S": AUDIT_PREFIX}, ":n": {"S": execution_name}},
    )["Items"]
    return items[0] if items else None


@pytest.fixture(scope="module")
def good_runs(stack: StackHandle) -> dict[str, dict[str, Any]]:
    """Given two days ingested successfully (three tickers each)."""
    out = {}
    for day in GOOD_DAYS:
        name = f"ops-{day}-{uuid.uuid4().hex[:6]}"
        out[day] = stack.run("ingest", name, {"date": day, "tickers": TICKERS})
        assert out[day]["status"] == "SUCCEEDED", out[day]
    return out


def test_alarms_dashboard_failure_rule_and_schedule_exist(stack: StackHandle) -> None:
    # Given the applied stack, When its monitoring resources are listed
    prefix = stack.outputs["name_prefix"]
    cw, events = stack.stack.client("cloudwatch"), stack.stack.client("events")
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]}
    alarms.update({a["AlarmName"]: a for a in cw.describe_alarms(AlarmNamePrefix=prefix)["CompositeAlarms"]})
    # Then every state machine has its failed-executions alarm, every function is watched through the
    # account-wide Lambda errors and throttles (no dimension), all sending to the alert topic
    topic = stack.outputs["alert_topic_arn"]
    for short in [
        k.removesuffix("_state_machine_arn") for k in stack.outputs if k.endswith("_state_machine_arn")
    ]:
        assert f"{prefix}-{short}-executions-failed" in alarms
    for name in ("lambda-errors", "lambda-throttles"):
        assert alarms[f"{prefix}-{name}"]["Namespace"] == "AWS/Lambda"
        assert alarms[f"{prefix}-{name}"]["Dimensions"] == []
    for name in ("api-5xx", "api-latency-p99", "winner-missing", "failed-executions-queued"):
        assert f"{prefix}-{name}" in alarms
    # And the default deployment fits CloudWatch's free tier of 10 alarm metrics, as the output says
    metrics = sum(
        len([q for q in a.get("Metrics", []) if "MetricStat" in q]) or (1 if a.get("MetricName") else 0)
        for a in alarms.values()
    )
    assert metrics == stack.outputs["alarm_metric_count"] <= 10
    assert all(a["AlarmActions"] == [topic] for a in alarms.values())
    # And the failure rule targets the dead-letter queue and the topic
    rule = events.describe_rule(Name=f"{prefix}-execution-failed")
    pattern = json.loads(rule["EventPattern"])
    assert pattern["detail"]["status"] == ["FAILED", "TIMED_OUT", "ABORTED"]
    targets = {t["Arn"] for t in events.list_targets_by_rule(Rule=f"{prefix}-execution-failed")["Targets"]}
    assert topic in targets and any(arn.endswith(f"{prefix}-failed-executions") for arn in targets)
    # And the dashboard, the SuccessCount filter and the staleness schedule exist
    body = json.loads(cw.get_dashboard(DashboardName=stack.outputs["dashboard_name"])["DashboardBody"])
    assert len(body["widgets"]) >= 8
    filters = stack.logs.describe_metric_filters(metricName="SuccessCount", metricNamespace="StockMovers")
    assert [f["filterPattern"] for f in filters["metricFilters"]] == ['"Success: Stored"']
    schedule = stack.stack.client("scheduler").get_schedule(Name=f"{prefix}-staleness-check")
    assert schedule["ScheduleExpressionTimezone"] == "America/New_York"
    assert schedule["ScheduleExpression"].endswith("? * MON-FRI *)")
    # And the dead-letter queue keeps messages 14 days, encrypted
    sqs = stack.stack.client("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=stack.outputs["dead_letter_queue_url"], AttributeNames=["All"])
    assert attrs["Attributes"]["MessageRetentionPeriod"] == "1209600"
    assert attrs["Attributes"]["SqsManagedSseEnabled"] == "true"


def test_permanent_provider_fault_lands_in_dead_letter_queue_and_audit(stack: StackHandle) -> None:
    # Given a provider that answers malformed bodies (a permanent fault: no Retry for MalformedResponse)
    name = f"ops-fault-{uuid.uuid4().hex[:8]}"
    stack.market.set_faults({"script": ["malformed"] * 3})
    try:
        # When an ingest runs
        desc = stack.run("ingest", name, {"date": FAULT_DAY, "tickers": TICKERS})
    finally:
        stack.market.set_faults(None)
    # Then it fails with the provider's error and nothing is stored
    assert desc["status"] == "FAILED" and desc["error"] == "MalformedResponse", desc
    assert stack.winner(FAULT_DAY) is None
    # And the dead-letter queue holds its status-change event
    sqs, url = stack.stack.client("sqs"), stack.outputs["dead_letter_queue_url"]

    def dead_letter() -> dict[str, Any] | None:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            body = json.loads(m["Body"])
            if body["detail"]["name"] == name:
                return body
        return None

    message = _poll(dead_letter)
    assert message is not None, "no dead-letter message"
    assert message["source"] == "aws.states" and message["detail"]["status"] == "FAILED"
    assert message["detail"]["executionArn"] == desc["executionArn"]
    assert message["detail"]["error"] == "MalformedResponse"
    # And an audit record names the execution, its input, the outcome and the error
    record = _poll(lambda: _audit(stack, name))
    assert record is not None, "no audit record"
    assert record["Status"]["S"] == "FAILED" and record["Outcome"]["S"] == "MalformedResponse"
    assert record["Error"]["S"] == "MalformedResponse" and "Cause" in record
    assert json.loads(record["Input"]["S"]) == {"date": FAULT_DAY, "tickers": TICKERS}
    assert record["Counts"]["M"]["inputTickers"] == {"N": "3"}
    assert int(record["DurationMs"]["N"]) >= 0
    assert record["sk"]["S"].endswith(f"#{name}") and record["pk"]["S"].startswith(f"{AUDIT_PREFIX}20")


def test_successful_executions_are_audited_with_their_outcome(stack: StackHandle, good_runs) -> None:
    # Given the successful runs, When their audit records are read
    for day, desc in good_runs.items():
        record = _poll(lambda desc=desc: _audit(stack, desc["name"]))
        # Then each says SUCCEEDED / Stored with its output, and no error
        assert record is not None, day
        assert (record["Status"]["S"], record["Outcome"]["S"]) == ("SUCCEEDED", "Stored")
        assert json.loads(record["Output"]["S"])["date"] == day
        assert "Error" not in record
        # And the day's partition is queryable by date
        partition = stack.table.audit_records(record["pk"]["S"].removeprefix(AUDIT_PREFIX))
        assert any(i["ExecutionName"]["S"] == desc["name"] for i in partition)


def test_staleness_check_reports_stored_and_missing_sessions(stack: StackHandle, good_runs) -> None:
    lam = stack.stack.client("lambda")
    fn = stack.outputs["staleness_function_name"]

    def check(now: str) -> dict[str, Any]:
        out = lam.invoke(FunctionName=fn, Payload=json.dumps({"now": now}).encode())
        assert "FunctionError" not in out
        return json.loads(out["Payload"].read())

    # Given 2025-07-15 stored, When the check runs that evening (19:00 ET), Then the day is stored
    assert check("2025-07-15T23:00:00+00:00") == {"date": "2025-07-15", "stored": True}
    # Given 2025-07-16 not stored (its run failed), When the check runs that evening, Then it is missing
    assert check("2025-07-16T23:00:00+00:00") == {"date": "2025-07-16", "stored": False}


def _day_items(stack: StackHandle, day: str) -> dict[str, dict[str, Any]]:
    items = {WINNER_PK: stack.winner(day)}
    for t in TICKERS:
        items[ticker_pk(t)] = stack.ticker_day(t, day)
    return items


# The broken history the restore drill starts from (besides FAULT_DAY's failed run)
INCOMPLETE_DAY = "2025-07-17"  # a real run that failed: NVDA had no bar (bodies for AAPL, MSFT stay)
HUGE_DAY = "2025-07-18"  # NVDA close = high = 1e15
WRONG_DATE_DAY = "2025-07-21"  # MSFT's body holds the next session's bar
NOT_JSON_DAY = "2025-07-22"  # NVDA's body is not JSON
LAST_DAY = "2025-07-22"


def _raw(day: str, ticker: str) -> str:
    return f"raw/provider=massive/date={day}/{ticker}.json"


def _body_for(template: dict[str, Any], bar_day: str, **changes: Any) -> bytes:
    """A stored Massive body re-dated to `bar_day` (00:00 New York, as range bars are stamped)."""
    from stock_movers.domain.calendar import NEW_YORK

    midnight = dt.datetime.combine(dt.date.fromisoformat(bar_day), dt.time(), NEW_YORK)
    row = {**template["results"][0], "t": int(midnight.timestamp() * 1000), **changes}
    return json.dumps({**template, "results": [row], "resultsCount": 1}).encode()


def _parquet(stack: StackHandle, day: str) -> Any:
    import io

    import pyarrow.parquet as pq

    key = f"curated/daily_bars/year={day[:4]}/date={day}/bars.parquet"
    body = stack.s3.get_object(Bucket=stack.outputs["bucket_name"], Key=key)["Body"].read()
    return pq.read_table(io.BytesIO(body))


def test_replay_rebuilds_good_days_item_for_item_and_refuses_failed_incomplete_and_corrupted_days(
    stack: StackHandle, good_runs
) -> None:
    from movers.cli.replay import DynamoWinners, LambdaStoreDay, S3Bodies, deployed_watchlist, replay

    table, bucket = stack.outputs["table_name"], stack.outputs["bucket_name"]
    # Given a run that failed part-way (NVDA had no bar), leaving the other bodies in S3
    stack.market.set_faults(
        {"probability": 1.0, "kinds": ["missing"], "drop_tickers": ["NVDA"], "tickers": ["NVDA"]}
    )
    try:
        failed = stack.run(
            "ingest", f"ops-incomplete-{uuid.uuid4().hex[:6]}", {"date": INCOMPLETE_DAY, "tickers": TICKERS}
        )
    finally:
        stack.market.set_faults(None)
    assert failed["status"] == "FAILED", failed
    stack.quiesce_market()  # the failed Map's sibling fetches finish after the run ends (as on AWS)
    assert stack.keys(_raw(INCOMPLETE_DAY, "AAPL")) == [_raw(INCOMPLETE_DAY, "AAPL")]
    # And raw bodies as a corrupting provider or a damaged bucket would leave them
    template = {
        t: json.loads(stack.s3.get_object(Bucket=bucket, Key=_raw(GOOD_DAYS[0], t))["Body"].read())
        for t in TICKERS
    }
    planted = {
        **{_raw(HUGE_DAY, t): _body_for(template[t], HUGE_DAY) for t in TICKERS},
        _raw(HUGE_DAY, "NVDA"): _body_for(template["NVDA"], HUGE_DAY, c=1e15, h=1e15),
        **{_raw(WRONG_DATE_DAY, t): _body_for(template[t], WRONG_DATE_DAY) for t in TICKERS},
        _raw(WRONG_DATE_DAY, "MSFT"): _body_for(template["MSFT"], NOT_JSON_DAY),
        **{_raw(NOT_JSON_DAY, t): _body_for(template[t], NOT_JSON_DAY) for t in TICKERS},
        _raw(NOT_JSON_DAY, "NVDA"): b"<html><body>502 Bad Gateway</body></html>",
    }
    for key, body in planted.items():
        stack.s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    # And the two good days' items and Parquet files lost
    before = {day: _day_items(stack, day) for day in GOOD_DAYS}
    parquet_before = {day: _parquet(stack, day) for day in GOOD_DAYS}
    assert all(item is not None for day in before.values() for item in day.values())
    for day, items in before.items():
        for pk in items:
            stack.ddb.delete_item(TableName=table, Key={"pk": {"S": pk}, "sk": {"S": day}})
        stack.s3.delete_object(
            Bucket=bucket, Key=f"curated/daily_bars/year={day[:4]}/date={day}/bars.parquet"
        )
    assert stack.winner(GOOD_DAYS[0]) is None
    # When the restore drill replays the range from the raw S3 bodies through the deployed Store Day
    lam = stack.stack.client("lambda")
    report = replay(
        S3Bodies(stack.s3, bucket),
        DynamoWinners(stack.ddb, table),
        LambdaStoreDay(lam, stack.outputs["function_names"]["store_day"]),
        start=dt.date.fromisoformat(GOOD_DAYS[0]),
        end=dt.date.fromisoformat(LAST_DAY),
        tickers=TICKERS,
    )
    # Then both good days are rebuilt and every other session is refused with the daily run's error name
    assert report.rebuilt == list(GOOD_DAYS), report
    refused = {day: outcome.error for day, outcome in report.refused.items()}
    assert refused == {
        FAULT_DAY: refused.get(FAULT_DAY),  # its run failed early: no or unreadable bodies
        INCOMPLETE_DAY: "MissingTickers",
        HUGE_DAY: "InvalidBar",
        WRONG_DATE_DAY: "SessionMismatch",
        NOT_JSON_DAY: "MalformedResponse",
    }, report
    assert refused[FAULT_DAY] in ("MissingTickers", "MalformedResponse")
    assert report.refused[HUGE_DAY].cause.startswith("NVDA: high 1000000000000000")
    assert not report.failed and not report.skipped
    # And nothing at all is written for a refused day: no winner, no ticker item, no Parquet
    for day in refused:
        assert stack.day_written(day) == {"winner": None, "ticker_items": [], "parquet": []}, day
    # And every rebuilt item equals the original except StoredAt and ExecutionArn (the replay's own) and
    # FetchedAt (a stored body's fetch time is unknown: the rebuilt item has none)
    for day in GOOD_DAYS:
        after = _day_items(stack, day)
        for pk, original in before[day].items():
            rebuilt = after[pk]
            assert rebuilt is not None, (day, pk)
            assert "FetchedAt" not in rebuilt, (day, pk)
            volatile = {"StoredAt", "ExecutionArn", "FetchedAt"}
            assert {k: v for k, v in rebuilt.items() if k not in volatile} == {
                k: v for k, v in original.items() if k not in volatile
            }, (day, pk)
        assert after[WINNER_PK]["ExecutionArn"]["S"].startswith("replay:")
        # And the Parquet file is rebuilt by Store Day's own writer, value for value (but fetched_at)
        rebuilt_table, original_table = _parquet(stack, day), parquet_before[day]
        known = [c for c in ("fetched_at",) if c in original_table.column_names]
        assert rebuilt_table.drop_columns(known).equals(original_table.drop_columns(known)), day
    # When it is forced with the deployed watchlist (more tickers than those days were run with)
    watchlist = deployed_watchlist(lam, stack.s3, stack.outputs["function_names"]["validate_input"])
    assert set(TICKERS) < set(watchlist)
    rebuilt_winners = {day: stack.winner(day) for day in GOOD_DAYS}
    forced = replay(
        S3Bodies(stack.s3, bucket),
        DynamoWinners(stack.ddb, table),
        LambdaStoreDay(lam, stack.outputs["function_names"]["store_day"]),
        start=dt.date.fromisoformat(GOOD_DAYS[0]),
        end=dt.date.fromisoformat(GOOD_DAYS[-1]),
        tickers=watchlist,
        force=True,
    )
    # Then those days are refused (their bodies hold 3 of the watchlist's tickers) and nothing is overwritten
    assert {day: o.error for day, o in forced.refused.items()} == dict.fromkeys(GOOD_DAYS, "MissingTickers")
    assert {day: stack.winner(day) for day in GOOD_DAYS} == rebuilt_winners


def test_api_key_is_in_no_log_object_output_state_or_history(stack: StackHandle, good_runs) -> None:
    # Given the stack after successful and failed runs that used the key
    key = LOCAL_API_KEY
    assert (
        key
        and stack.stack.client("secretsmanager").get_secret_value(
            SecretId=stack.outputs["api_key_secret_arn"]
        )["SecretString"]
        == key
    )
    # Then no CloudWatch Logs line of any log group holds it
    groups = [g["logGroupName"] for g in stack.logs.describe_log_groups()["logGroups"]]
    assert any(g.endswith("fetch-bars") for g in groups)
    scanned = 0
    for group in groups:
        kwargs: dict[str, Any] = {"logGroupName": group}
        while True:
            page = stack.logs.filter_log_events(**kwargs)
            for event in page["events"]:
                scanned += 1
                assert key not in event["message"], f"API key in a log line of {group}"
            if not page.get("nextToken"):
                break
            kwargs["nextToken"] = page["nextToken"]
    assert scanned > 0
    # And no S3 object of any bucket
    objects = 0
    for bucket in stack.s3.list_buckets()["Buckets"]:
        for page in stack.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            for obj in page.get("Contents", []):
                body = stack.s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read()
                objects += 1
                assert key.encode() not in body, f"API key in s3://{bucket['Name']}/{obj['Key']}"
    assert objects > 0
    # And no Terraform output or state
    assert key not in json.dumps(stack.stack.terraform.outputs())
    assert key not in stack.stack.terraform.state.read_text()
    # And no execution history of any state machine
    for machine in stack.sfn.list_state_machines()["stateMachines"]:
        for execution in stack.sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]:
            desc = stack.sfn.describe_execution(executionArn=execution["executionArn"])
            assert key not in json.dumps(desc, default=str)
            assert key not in json.dumps(stack.history(execution["executionArn"]), default=str)


def test_redrive_says_in_one_line_that_the_local_aws_lacks_it(stack: StackHandle) -> None:
    # Given a failed execution on the local AWS (moto implements no RedriveExecution)
    from movers.cli.common import CliError
    from movers.cli.ops import redrive

    failed = [
        e
        for e in stack.sfn.list_executions(stateMachineArn=stack.outputs["ingest_state_machine_arn"])[
            "executions"
        ]
        if e["status"] == "FAILED"
    ]
    assert failed
    # When it is redriven, Then a clear one-line error names the gap and where the docs are
    with pytest.raises(CliError, match=r"does not implement RedriveExecution.*docs/operations\.md#redrive"):
        redrive(stack.sfn, failed[0]["executionArn"])
