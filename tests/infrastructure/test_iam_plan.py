"""Least privilege, checked on the plan: `terraform show -json` of a plan of the applied local stack (with
tracing on, so the X-Ray statements are in it) must hold no Allow statement with a `*` action (or a
`service:*` one) and no `*` resource except where AWS offers no resource-level permission (allow-list).
IAM is not enforced by the local AWS, so this is where least privilege is tested.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.localstack import StackHandle

# Actions that AWS documents with "*" as the only resource (no resource-level permissions).
STAR_RESOURCE_ALLOWED = {
    # X-Ray: trace segments and sampling rules have no ARNs to name.
    "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    # CloudWatch Logs delivery for Step Functions execution logging ("vended logs"): AWS's documented policy.
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}  # fmt: skip
# AWS managed policies attached by the stack, each with its reason.
MANAGED_POLICIES_ALLOWED = {
    # API Gateway's account-wide logging role: AWS's own policy for exactly this purpose.
    "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
}
POLICY_ATTRIBUTES = {
    "aws_iam_role_policy": "policy",
    "aws_iam_policy": "policy",
    "aws_iam_role": "assume_role_policy",
    "aws_s3_bucket_policy": "policy",
    "aws_sns_topic_policy": "policy",
    "aws_sqs_queue_policy": "policy",
}


def _resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def plan(stack: StackHandle) -> dict[str, Any]:
    """Given a plan of the applied local stack with tracing on (no refresh: the policies are computed)."""
    tf = stack.stack.terraform
    out = tf.work_dir / "iam-check.tfplan"
    tf._run(
        "plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", f"-out={out}",
        *tf._var_args(), "-var=tracing_enabled=true",
    )  # fmt: skip
    return json.loads(tf._run("show", "-json", str(out), capture=True).stdout)


def _policies(plan: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every policy document of the plan; one only known after apply (a data source read deferred by a
    pending change elsewhere) is taken from the applied state the plan starts from."""
    applied = {
        r["address"]: r.get("values", {})
        for r in _resources(plan.get("prior_state", {}).get("values", {}).get("root_module", {}))
    }
    found = []
    for resource in _resources(plan["planned_values"]["root_module"]):
        attribute = POLICY_ATTRIBUTES.get(resource["type"])
        if attribute is None:
            continue
        text = resource.get("values", {}).get(attribute) or applied.get(resource["address"], {}).get(
            attribute
        )
        assert isinstance(text, str) and text, (
            f"{resource['address']}.{attribute} is known neither in plan nor state"
        )
        found.append((resource["address"], json.loads(text)))
    return found


def violations(address: str, document: dict[str, Any]) -> list[str]:
    """Why `document` breaks least privilege (empty when it does not)."""
    out = []
    for i, statement in enumerate(_as_list(document.get("Statement", []))):
        if statement.get("Effect") != "Allow":
            continue  # a Deny on "*" only narrows access
        where = f"{address} statement {statement.get('Sid') or i}"
        if "NotAction" in statement or "NotResource" in statement:
            out.append(f"{where}: NotAction/NotResource grants everything else")
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        for action in actions:
            if action == "*" or action.endswith(":*"):
                out.append(f"{where}: wildcard action {action}")
        if "Resource" in statement and "*" in _as_list(statement["Resource"]):
            extra = sorted(set(actions) - STAR_RESOURCE_ALLOWED)
            if extra:
                out.append(f"{where}: Resource '*' for {extra}, which have resource-level permissions")
    return out


def test_no_policy_grants_wildcard_actions_or_resources_where_an_arn_is_known(plan: dict[str, Any]) -> None:
    policies = _policies(plan)
    # Then there are policies to check, including the X-Ray ones (tracing is on in this plan)
    assert len(policies) > 20
    assert any("xray:PutTraceSegments" in json.dumps(doc) for _, doc in policies)
    # And none breaks least privilege
    problems = [p for address, doc in policies for p in violations(address, doc)]
    assert problems == [], "\n".join(problems)


def test_only_allow_listed_managed_policies_are_attached(plan: dict[str, Any]) -> None:
    attached = {
        r["values"]["policy_arn"]
        for r in _resources(plan["planned_values"]["root_module"])
        if r["type"] == "aws_iam_role_policy_attachment"
    }
    assert attached <= MANAGED_POLICIES_ALLOWED, attached - MANAGED_POLICIES_ALLOWED


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}, "wildcard action *"),
        ({"Effect": "Allow", "Action": ["s3:*"], "Resource": "arn:aws:s3:::b"}, "wildcard action s3:*"),
        ({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"}, "Resource '*'"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "NotAction"),
    ],
)
def test_the_checker_catches_each_kind_of_violation(statement: dict[str, Any], problem: str) -> None:
    # Given a policy with one bad statement, Then the checker names it
    assert any(problem in v for v in violations("x", {"Statement": [statement]}))
    # And an allow-listed "*" resource and a Deny on "*" pass
    ok = {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert violations("x", {"Statement": [ok, deny]}) == []


# Service principals whose roles need no confused-deputy guard: a Lambda execution role is assumed by Lambda
# for this account's functions only (AWS documents no aws:SourceAccount for it).
TRUST_UNGUARDED = {"lambda.amazonaws.com"}
# Services trusted with ...IfExists: AWS does not document that they send aws:SourceAccount (API Gateway's
# account-wide logging role); a request that does name an account must still name this one.
TRUST_IF_EXISTS = {"apigateway.amazonaws.com"}


def trust_violations(address: str, document: dict[str, Any], account: str) -> list[str]:
    """Why a role's trust policy lets a service act for another account (empty when it does not): every
    statement trusting a service principal must hold `aws:SourceAccount` = `account`."""
    out = []
    for i, statement in enumerate(_as_list(document.get("Statement", []))):
        services = set(_as_list(statement.get("Principal", {}).get("Service", [])))
        if statement.get("Effect") != "Allow" or not services - TRUST_UNGUARDED:
            continue
        test = "StringEqualsIfExists" if services <= TRUST_IF_EXISTS else "StringEquals"
        values = statement.get("Condition", {}).get(test, {}).get("aws:SourceAccount")
        if _as_list(values) != [account]:
            out.append(
                f"{address} statement {i} ({sorted(services)}): no {test} aws:SourceAccount = {account}"
            )
    return out


def test_every_service_role_trusts_only_this_account(plan: dict[str, Any]) -> None:
    # Given the trust policy of every role of the plan (the local account is moto's)
    trusts = {a: d for a, d in _policies(plan) if a.split(".")[-2] == "aws_iam_role"}
    services = {
        s
        for d in trusts.values()
        for st in _as_list(d["Statement"])
        for s in _as_list(st["Principal"]["Service"])
    }
    # Then the roles of every kind are there (functions, state machines, schedules, EventBridge, API Gateway)
    assert {"lambda", "states", "scheduler", "events", "apigateway"} <= {s.split(".")[0] for s in services}
    # And each role a service other than Lambda assumes names this account (confused-deputy guard)
    problems = [p for address, doc in trusts.items() for p in trust_violations(address, doc, "123456789012")]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("condition", "service", "ok"),
    [
        ({"StringEquals": {"aws:SourceAccount": "1"}}, "states.amazonaws.com", True),
        ({}, "states.amazonaws.com", False),
        ({"StringEquals": {"aws:SourceAccount": "2"}}, "scheduler.amazonaws.com", False),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, "events.amazonaws.com", False),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "1"}}, "apigateway.amazonaws.com", True),
        ({}, "apigateway.amazonaws.com", False),
        ({}, "lambda.amazonaws.com", True),
    ],
)
def test_the_trust_checker_wants_the_source_account(
    condition: dict[str, Any], service: str, ok: bool
) -> None:
    # Given a role trusting one service with this condition, Then the checker passes it only when guarded
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    document = {"Statement": [statement | ({"Condition": condition} if condition else {})]}
    assert (trust_violations("role", document, "1") == []) is ok


def _allowed_actions(document: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(action, resources) of every Allow statement of a policy document."""
    out = []
    for statement in _as_list(document.get("Statement", [])):
        if statement.get("Effect") == "Allow":
            resources = [str(r) for r in _as_list(statement.get("Resource", []))]
            out += [(str(a), resources) for a in _as_list(statement.get("Action", []))]
    return out


def test_no_function_invokes_a_function_and_the_ingest_machine_starts_the_healing_backfill(
    plan: dict[str, Any],
) -> None:
    # Given every policy of the plan: no Lambda function's role may invoke a function (the state machines
    # drive the work), and the healing backfill is started by the ingest machine, through the backfill's
    # live alias only (states:startExecution), not by a function.
    policies = dict(_policies(plan))
    functions = {a: d for a, d in policies.items() if a.startswith("module.fn_") and "role_policy" in a}
    assert len(functions) >= 10, f"function role policies not found by address: {sorted(policies)}"
    for address, document in functions.items():
        actions = [a for a, _ in _allowed_actions(document)]
        assert not [a for a in actions if a in ("lambda:InvokeFunction", "lambda:*")], address
        if address.startswith("module.fn_plan_backfill."):
            assert "states:StartExecution" not in actions, address
    (ingest,) = [d for a, d in policies.items() if a.startswith("module.sfn_ingest.") and "role_policy" in a]
    starts = [r for a, rs in _allowed_actions(ingest) if a == "states:StartExecution" for r in rs]
    backfill = [r for r in starts if r.endswith("-backfill:live")]
    # Besides, its Distributed Map starts child executions of the ingest machine itself (and nothing else).
    children = sorted(r for r in starts if r not in backfill)
    assert len(backfill) == 1, starts
    assert len(children) == 2 and children[0].endswith("-ingest"), starts
    assert children[1] == children[0] + ":*", starts
