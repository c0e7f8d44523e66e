"""Releases on the local AWS: a deploy publishes versions behind `live` aliases, every caller goes through
the aliases, and `movers rollback` moves them back to the previous release (docs/operations.md#releases)."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

from movers.cli.common import Target, start_execution
from movers.cli.release import ledger_history, rollback
from tests.support.localstack import StackHandle

DEFAULT_WATCHLIST = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA"]


def _tickers_via_alias(stack: StackHandle) -> list[str]:
    """What the validate_input function's `live` alias answers for an empty input (its watchlist)."""
    lam = stack.stack.client("lambda")
    name = stack.outputs["function_names"]["validate_input"]
    reply = lam.invoke(FunctionName=f"{name}:live", Payload=json.dumps({"input": {"date": "2026-11-20"}}))
    body: dict[str, Any] = json.loads(reply["Payload"].read())
    assert "FunctionError" not in reply, body
    return list(body["tickers"])


def _ingest_alias_version(stack: StackHandle) -> str:
    alias = stack.outputs["release_aliases"]["ingest_state_machine"]
    routing = stack.sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"]
    assert len(routing) == 1 and routing[0]["weight"] == 100
    return str(routing[0]["stateMachineVersionArn"])


def test_every_caller_targets_a_live_alias(stack: StackHandle) -> None:
    # Given the applied stack, Then the schedules, the analysis rule, the audit rule and the API integration
    # name `live` aliases, and the state machines' tasks invoke qualified function ARNs
    prefix = stack.outputs["name_prefix"]
    scheduler, events = stack.stack.client("scheduler"), stack.stack.client("events")
    for schedule in (f"{prefix}-daily", f"{prefix}-staleness-check", f"{prefix}-analysis-catchup"):
        assert scheduler.get_schedule(Name=schedule)["Target"]["Arn"].endswith(":live"), schedule
    for rule in (f"{prefix}-mover-stored", f"{prefix}-execution-finished"):
        targets = events.list_targets_by_rule(Rule=rule)["Targets"]
        assert targets and all(t["Arn"].endswith(":live") for t in targets), rule
    for key in ("ingest", "daily_analysis", "backfill"):
        definition = stack.sfn.describe_state_machine(
            stateMachineArn=stack.outputs[f"{key}_state_machine_arn"]
        )
        functions = {
            v
            for v in _strings(json.loads(definition["definition"]))
            if v.startswith("arn:aws:lambda:") and ":function:" in v
        }
        assert functions and all(f.endswith(":live") for f in functions), (key, functions)
    api = stack.stack.client("lambda").get_policy(
        FunctionName=stack.outputs["api_function_name"], Qualifier="live"
    )
    assert "apigateway.amazonaws.com" in api["Policy"]


def _strings(doc: Any) -> list[str]:
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [s for v in doc.values() for s in _strings(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in _strings(v)]
    return []


def test_a_released_block_leaves_no_version_for_the_next_apply_to_release(stack: StackHandle) -> None:
    # Given the fetch function as applied
    lam = stack.stack.client("lambda")
    fetch = stack.outputs["function_names"]["fetch_bars"]
    live = lam.get_alias(FunctionName=fetch, Name="live")["FunctionVersion"]
    env = lam.get_function_configuration(FunctionName=fetch)["Environment"]["Variables"]
    # When a test releases a changed configuration for a block (here a market URL nothing listens on)
    changed = {"Variables": {**env, "PROVIDER_BASE_URL": "http://127.0.0.1:9"}}
    with stack.released(fetch, Environment=changed):
        assert lam.get_alias(FunctionName=fetch, Name="live")["FunctionVersion"] != live
    # Then `live` and $LATEST are as before, and the newest published version (what Terraform reads as the
    # function's version, so what the next apply and a rollback would put behind `live`) is `live` again
    assert lam.get_alias(FunctionName=fetch, Name="live")["FunctionVersion"] == live
    assert lam.get_function_configuration(FunctionName=fetch)["Environment"]["Variables"] == env
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=fetch)["Versions"]]
    assert max((v for v in versions if v != "$LATEST"), key=int) == live, versions


def test_rollback_restores_the_previous_release_and_runs_use_it(stack: StackHandle) -> None:
    t = Target(stack.outputs, stack.endpoint)
    tf = stack.stack.terraform
    original = dict(tf.variables)
    # Given release 1 as applied: the full watchlist behind validate_input's alias
    assert _tickers_via_alias(stack) == DEFAULT_WATCHLIST
    machine_v1 = _ingest_alias_version(stack)
    releases_before = len(ledger_history(t))
    try:
        # When release 2 is deployed: a changed function (watchlist), changed machines (Map concurrency)
        tf.variables = {**original, "watchlist": DEFAULT_WATCHLIST[:3], "map_max_concurrency": 3}
        tf.apply()
        # Then the aliases serve release 2 and the ledger recorded it
        assert _tickers_via_alias(stack) == DEFAULT_WATCHLIST[:3]
        machine_v2 = _ingest_alias_version(stack)
        assert machine_v2 != machine_v1
        assert len(ledger_history(t)) == releases_before + 1

        # When the operator rolls back
        out = io.StringIO()
        assert rollback(t, out) == 0
        # Then the function alias and the machine alias serve release 1 again
        lines = out.getvalue().splitlines()
        assert any("validate-input: live" in line for line in lines), lines
        assert any("state machine" in line and "ingest" in line for line in lines), lines
        assert _tickers_via_alias(stack) == DEFAULT_WATCHLIST
        assert _ingest_alias_version(stack) == machine_v1
        # And a run started the way the CLI and the schedule start it runs release 1's machine and functions
        name = f"release-{uuid.uuid4().hex[:8]}"
        arn = start_execution(t, "ingest", name, {"date": "2026-11-18"})
        desc = stack.wait(arn)
        assert desc["status"] == "SUCCEEDED", desc
        assert desc["stateMachineVersionArn"] == machine_v1
        validated = [
            json.loads(e["stateExitedEventDetails"]["output"])
            for e in stack.history(arn)
            if e["type"] == "TaskStateExited" and e["stateExitedEventDetails"]["name"] == "Validate Input"
        ]
        assert [v["tickers"] for v in validated] == [DEFAULT_WATCHLIST], validated
        # And a second rollback changes nothing
        again = io.StringIO()
        assert rollback(t, again) == 0
        assert "nothing to move" in again.getvalue()
    finally:
        # Put the shared stack back: the original variables, applied (a new release equal to release 1)
        tf.variables = original
        tf.apply()
    assert _tickers_via_alias(stack) == DEFAULT_WATCHLIST
    assert tf.plan_changes() == []
