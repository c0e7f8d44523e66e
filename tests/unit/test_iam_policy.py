"""The local AWS's IAM policy evaluation (movers.local.iam_policy): AWS's documented rules, pure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from movers.local.iam_policy import (
    Decision,
    Policy,
    PolicyError,
    Principal,
    Request,
    condition_matches,
    evaluate,
)

ACCOUNT = "123456789012"
ROLE = Principal(arn=f"arn:aws:iam::{ACCOUNT}:role/fetch", account=ACCOUNT)
EVENTS = Principal(service="events.amazonaws.com", account=ACCOUNT)
TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/control"
BUCKET = "arn:aws:s3:::data"


def policy(*statements: dict[str, Any], name: str = "p") -> Policy:
    return Policy.parse(name, json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def ask(action: str, resource: str, principal: Principal = ROLE, **context: Any) -> Request:
    return Request(principal, action, resource, {"aws:SecureTransport": "true", **context})


def test_an_identity_allow_on_the_exact_arn_allows_and_names_the_statement() -> None:
    given = [policy(allow("dynamodb:PutItem", TABLE, Sid="Write"), name="fetch/policy")]
    assert evaluate(given, None, ask("dynamodb:PutItem", TABLE)) == Decision("allow", "fetch/policy#Write")


def test_another_action_or_another_table_is_an_implicit_deny() -> None:
    given = [policy(allow("dynamodb:PutItem", TABLE))]
    assert evaluate(given, None, ask("dynamodb:GetItem", TABLE)).effect == "implicit-deny"
    assert evaluate(given, None, ask("dynamodb:PutItem", TABLE + "x")).effect == "implicit-deny"
    assert evaluate(given, None, ask("dynamodb:PutItem", TABLE + "/index/gsi1")).effect == "implicit-deny"


def test_wildcards_match_actions_case_insensitively_and_resources_across_separators() -> None:
    given = [policy(allow("S3:Get*", f"{BUCKET}/raw/*"))]
    assert evaluate(given, None, ask("s3:GetObject", f"{BUCKET}/raw/2026/x.json")).allowed
    assert not evaluate(given, None, ask("s3:GetObject", f"{BUCKET}/curated/x")).allowed
    assert not evaluate(given, None, ask("s3:PutObject", f"{BUCKET}/raw/x")).allowed


def test_an_explicit_deny_wins_over_any_allow_in_either_policy() -> None:
    identity = [policy(allow("s3:*", f"{BUCKET}/*"))]
    bucket = policy(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [BUCKET, f"{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        name="resource-policy:bucket",
    )
    insecure = Request(ROLE, "s3:PutObject", f"{BUCKET}/k", {"aws:SecureTransport": "false"})
    assert evaluate(identity, bucket, insecure) == Decision(
        "explicit-deny", "resource-policy:bucket#DenyInsecureTransport"
    )
    assert evaluate(identity, bucket, ask("s3:PutObject", f"{BUCKET}/k")).allowed


def test_not_action_and_not_resource_exclude_what_they_name() -> None:
    given = [policy({"Effect": "Allow", "NotAction": "iam:*", "NotResource": TABLE})]
    assert evaluate(given, None, ask("s3:GetObject", f"{BUCKET}/k")).allowed
    assert not evaluate(given, None, ask("iam:PassRole", "*")).allowed
    assert not evaluate(given, None, ask("dynamodb:GetItem", TABLE)).allowed


def test_a_lambda_permission_allows_only_its_service_from_its_source_arn() -> None:
    # Given the audit function's permission: events.amazonaws.com, from one rule
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:audit"
    rule = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/finished"
    permission = policy(
        {
            "Sid": "AllowAuditRule",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": fn,
            "Condition": {"ArnLike": {"AWS:SourceArn": rule}},
        }
    )
    # Then the rule may invoke, another rule, another service or a role without a grant may not
    assert evaluate(
        [], permission, ask("lambda:InvokeFunction", fn, EVENTS, **{"aws:SourceArn": rule})
    ).allowed
    other_rule = ask("lambda:InvokeFunction", fn, EVENTS, **{"aws:SourceArn": rule + "2"})
    assert not evaluate([], permission, other_rule).allowed
    assert not evaluate([], permission, ask("lambda:InvokeFunction", fn, EVENTS)).allowed  # no SourceArn
    apigw = Principal(service="apigateway.amazonaws.com", account=ACCOUNT)
    assert not evaluate(
        [], permission, ask("lambda:InvokeFunction", fn, apigw, **{"aws:SourceArn": rule})
    ).allowed
    assert not evaluate([], permission, ask("lambda:InvokeFunction", fn)).allowed


def test_a_resource_policy_naming_the_account_or_role_allows_a_role_of_it() -> None:
    for named in (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ROLE.arn):
        topic = policy(
            {"Effect": "Allow", "Principal": {"AWS": named}, "Action": "sns:Publish", "Resource": "*"}
        )
        assert evaluate([], topic, ask("sns:Publish", "arn:aws:sns:us-east-1:1:t")).allowed


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, {"aws:SourceAccount": ACCOUNT}, True),
        ({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, {"aws:SourceAccount": "999"}, False),
        ({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, {}, False),  # absent key: operator is false
        ({"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}, {}, True),
        ({"StringNotEquals": {"cloudwatch:namespace": ["A", "B"]}}, {"cloudwatch:namespace": "C"}, True),
        ({"StringNotEquals": {"cloudwatch:namespace": ["A", "B"]}}, {"cloudwatch:namespace": "B"}, False),
        ({"StringLike": {"cloudwatch:namespace": "Stock*"}}, {"cloudwatch:namespace": "StockMovers"}, True),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:*:1:alarm:m-*"}},
            {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:1:alarm:m-x"},
            True,
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:*:1:alarm:m-*"}},
            {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:2:alarm:m-x"},
            False,
        ),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Null": {"aws:SourceArn": "true"}}, {}, True),
        ({"Null": {"aws:SourceArn": "false"}}, {}, False),
        ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"}, True),
        ({"ForAllValues:StringEquals": {"k": ["a", "b"]}}, {"k": ["a"]}, True),
        ({"ForAnyValue:StringEquals": {"k": ["a", "b"]}}, {"k": ["c", "b"]}, True),
    ],
)
def test_condition_operators(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert condition_matches(condition, context) is expected


def test_condition_keys_are_case_insensitive() -> None:
    assert condition_matches({"StringEquals": {"AWS:SourceAccount": "1"}}, {"aws:sourceaccount": "1"})


def test_an_unknown_operator_is_an_error_never_a_guess() -> None:
    with pytest.raises(PolicyError, match="unsupported condition operator"):
        condition_matches({"DateLessThanEqualsMaybe": {"aws:CurrentTime": "x"}}, {"aws:CurrentTime": "y"})


def test_every_condition_operator_in_the_terraform_is_understood() -> None:
    # Given every `test = "..."` of the Terraform's policy conditions
    root = Path(__file__).resolve().parents[2] / "infrastructure"
    text = "\n".join(p.read_text() for p in root.rglob("*.tf"))
    operators = set(__import__("re").findall(r'test\s*=\s*"([A-Za-z:]+)"', text))
    assert operators  # the project does use conditions
    for operator in operators:
        condition_matches(
            {operator: {"aws:SourceAccount": "1"}}, {"aws:SourceAccount": "1"}
        )  # no PolicyError
