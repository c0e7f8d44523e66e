"""The local AWS delivers PutEvents on a custom bus to that bus's rules' Lambda targets, as AWS does.

The market-data bus (infrastructure/push.tf) is a custom bus whose one rule matches every event of the
account and invokes the push_bars function's `live` alias. moto routes PutEvents by EventBusName to the
bus's rules, and compat.fix_events_lambda_and_sns_targets invokes Lambda targets asynchronously: this test
pins that chain for a custom bus (no further compat fix is needed) and that the default bus's rules do not
see the custom bus's events.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

ACCOUNT = "123456789012"


def _logged(aws_client: Any, function: str, marker: str, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """The events the function printed (lines `<marker> <json>`), waiting up to `timeout_s`."""
    logs, found = aws_client("logs"), []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            lines = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            lines = []
        found = [
            json.loads(e["message"][len(marker) + 1 :]) for e in lines if e["message"].startswith(marker)
        ]
        if found:
            return found
        time.sleep(0.2)
    return found


def test_put_events_on_a_custom_bus_invokes_the_bus_rules_lambda_alias(aws_client, make_function) -> None:
    # Given a custom bus whose rule matches every event of the account, targeting a function's alias
    events, lam = aws_client("events"), aws_client("lambda")
    fn = make_function({"app.py": "import json\ndef handler(e, c):\n    print('BUS ' + json.dumps(e))\n"})
    version = lam.publish_version(FunctionName=fn)["Version"]
    alias_arn = lam.create_alias(FunctionName=fn, Name="live", FunctionVersion=version)["AliasArn"]
    bus = f"market-data-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=bus)
    rule_arn = events.put_rule(
        Name="bars", EventBusName=bus, EventPattern=json.dumps({"account": [ACCOUNT]})
    )["RuleArn"]
    events.put_targets(Rule="bars", EventBusName=bus, Targets=[{"Id": "fn", "Arn": alias_arn}])
    lam.add_permission(FunctionName=fn, Qualifier="live", StatementId="bus", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule_arn)  # fmt: skip
    # And a rule on the default bus with the same pattern and a function of its own
    other = make_function(
        {"app.py": "import json\ndef handler(e, c):\n    print('DEFAULT ' + json.dumps(e))\n"}
    )
    other_arn = lam.get_function(FunctionName=other)["Configuration"]["FunctionArn"]
    default_rule = f"all-{uuid.uuid4().hex[:8]}"
    default_arn = events.put_rule(
        Name=default_rule, EventPattern=json.dumps({"source": ["com.example.feed"]})
    )["RuleArn"]
    events.put_targets(Rule=default_rule, Targets=[{"Id": "fn", "Arn": other_arn}])
    lam.add_permission(FunctionName=other, StatementId="default", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=default_arn)  # fmt: skip
    # When a Daily Bar event is put on the custom bus
    detail = {"ticker": "AAPL", "date": "2026-01-05", "close": "102"}
    entry = {"EventBusName": bus, "Source": "com.example.feed", "DetailType": "Daily Bar",
             "Detail": json.dumps(detail)}  # fmt: skip
    answer = events.put_events(Entries=[entry])
    # Then PutEvents succeeds and the alias gets the whole event, in AWS's shape
    assert answer["FailedEntryCount"] == 0
    (got,) = _logged(aws_client, fn, "BUS")
    assert (got["source"], got["detail-type"], got["detail"]) == ("com.example.feed", "Daily Bar", detail)
    assert got["id"] == answer["Entries"][0]["EventId"] and got["account"] == ACCOUNT
    assert isinstance(got["time"], str) and got["time"].endswith("Z")
    # And the default bus's rule never saw it
    assert _logged(aws_client, other, "DEFAULT", timeout_s=1.0) == []
