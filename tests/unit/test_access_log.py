"""The access log's per-role report: calls grouped by grant, unused grants and reasons, denials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from movers.local import access_log

ROLE = "arn:aws:iam::123456789012:role/stock-movers-local-fetch-bars-role"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/control"
FN = "arn:aws:lambda:us-east-1:123456789012:function:f"


def request(action: str, resource: str, decision: str = "allow", **extra: Any) -> dict[str, Any]:
    return {
        "time": "t",
        "kind": "role",
        "principal": ROLE,
        "service": "x",
        "operation": "x",
        "action": action,
        "resource": resource,
        "decision": decision,
        "statement": "",
        "enforced": True,
        "expected": False,
        **extra,
    }


POLICIES = {
    "time": "t",
    "kind": "policies",
    "principal": ROLE,
    "policies": [
        {
            "name": "fetch/policy",
            "document": {
                "Statement": [
                    {
                        "Sid": "Control",
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                        "Resource": TABLE,
                    },
                    {
                        "Sid": "Raw",
                        "Effect": "Allow",
                        "Action": "s3:PutObject",
                        "Resource": "arn:aws:s3:::b/raw/*",
                    },
                    {
                        "Sid": "Invoke",
                        "Effect": "Allow",
                        "Action": "lambda:InvokeFunction",
                        "Resource": [FN, f"{FN}:*"],
                    },
                ]
            },
        }
    ],
}


def test_calls_are_grouped_by_the_grant_that_covered_them_and_unused_grants_listed() -> None:
    records = [
        POLICIES,
        request("dynamodb:GetItem", TABLE),
        request("s3:PutObject", "arn:aws:s3:::b/raw/a.json"),
        request("s3:PutObject", "arn:aws:s3:::b/raw/b.json"),
        request("lambda:InvokeFunction", FN),
        {
            "kind": "operator",
            "principal": "operator",
            "decision": "allow",
            "action": "iam:CreateRole",
            "resource": "*",
        },
    ]
    roles = access_log.summarize(records)
    entry = roles["stock-movers-local-fetch-bars-role"]
    raw = entry["calls"][("s3:PutObject", "arn:aws:s3:::b/raw/*")]
    assert (raw["allowed"], len(raw["resources"])) == (2, 2)
    assert access_log.unused_grants(entry) == [
        ("policy#Control", "dynamodb:PutItem", TABLE),
        ("policy#Invoke", "lambda:InvokeFunction", f"{FN}:*"),
    ]
    assert "operator" not in roles


def test_the_report_gives_each_unused_grant_its_reason_or_asks_to_remove_it() -> None:
    records = [POLICIES, request("dynamodb:GetItem", TABLE), request("s3:PutObject", "arn:aws:s3:::b/raw/a")]
    text = access_log.render(access_log.summarize(records), {"Invoke qualified": "versions and aliases"})
    assert "## stock-movers-local-fetch-bars-role" in text
    assert "`lambda:InvokeFunction` on `lambda:us-east-1::function:f:*`: versions and aliases" in text
    assert (
        "`dynamodb:PutItem` on `dynamodb:us-east-1::table/control`: **no reason recorded: remove it?**"
        in text
    )
    assert "Unexpected denials in this run: **0**" in text


def test_unexpected_denials_leave_out_the_operator_allowed_calls_and_expected_ones() -> None:
    records = [
        request("dynamodb:PutItem", TABLE, "implicit-deny"),
        request("dynamodb:PutItem", TABLE, "explicit-deny", expected=True),
        request("dynamodb:GetItem", TABLE),
        POLICIES,
    ]
    assert [r["decision"] for r in access_log.unexpected_denials(records)] == ["implicit-deny"]


def test_the_cli_writes_the_report_and_check_fails_on_a_denial(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    log.write_text(
        "\n".join(json.dumps(r) for r in [POLICIES, request("dynamodb:GetItem", TABLE)]) + "\n{cut"
    )
    out = tmp_path / "report.md"
    assert access_log.main(["report", str(tmp_path), "--out", str(out), "--check"]) == 0
    assert "fetch-bars-role" in out.read_text()
    with log.open("a") as fh:
        fh.write("\n" + json.dumps(request("dynamodb:DeleteItem", TABLE, "implicit-deny")) + "\n")
    assert access_log.main(["report", str(log), "--out", str(out), "--check"]) == 1
    assert access_log.main(["denials", str(log)]) == 1
    assert access_log.main(["report", str(tmp_path / "missing.jsonl")]) == 2


def test_logs_of_two_stacks_merge_although_the_secret_suffix_differs() -> None:
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:key"
    statement = {
        "Sid": "Key",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": f"{secret}-BbBbBb",
    }
    policies = {
        "kind": "policies",
        "principal": ROLE,
        "policies": [{"name": "p", "document": {"Statement": [statement]}}],
    }
    # Given a call of the first stack (suffix AaAaAa) and the policies of the second (BbBbBb)
    records = [request("secretsmanager:GetSecretValue", f"{secret}-AaAaAa"), policies]
    entry = access_log.summarize(records)["stock-movers-local-fetch-bars-role"]
    assert access_log.unused_grants(entry) == []
