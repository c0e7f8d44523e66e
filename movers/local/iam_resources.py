"""Which IAM action and resource ARN(s) one API request is authorized against, per service.

moto's own authorization hook knows resource ARNs for S3, SQS, IAM and STS only and checks every other call
against ``"*"``, so a policy scoped to one table or one function could never be tested. Each function below
resolves one service the project uses, from the request's operation and parameters, the way the service's
"Actions, resources, and condition keys" page in the IAM Service Authorization Reference defines it. A request
can need several authorizations (a DynamoDB transaction writing two tables, a PutEvents to two buses): each
resolver returns a list. Pure functions: the only outside knowledge (a secret's full ARN from its name) comes
through ``Call.lookup``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse


@dataclass(frozen=True)
class Call:
    """One API request as the local AWS received it."""

    service: str  # moto's service name: dynamodb, awslambda, stepfunctions, s3, ...
    operation: str  # the API operation (GetItem, Invoke, PutObject (S3: moto's IAM action name), ...)
    params: Mapping[str, Any]
    region: str
    account: str
    path: str = ""  # URL path, for REST services
    lookup: Callable[[str, str], str | None] = field(default=lambda kind, name: None)


@dataclass(frozen=True)
class Access:
    """One authorization the request needs: IAM action, resource ARN and extra condition keys."""

    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


def _p(call: Call, *names: str) -> Any:
    for name in names:
        value = call.params.get(name)
        if value not in (None, ""):
            return value
    return None


# ------------------------------------------------------------------------------------------ DynamoDB


def _table_arn(call: Call, name: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{call.region}:{call.account}:table/{name}"


# TransactWriteItems needs each item's own action on its table (AWS documents no transact action).
_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def dynamodb(call: Call) -> list[Access]:
    """DynamoDB: ``table/<name>`` (``/index/<name>`` for an index query or scan); batch and transaction
    operations authorize once per table (transactions per item, with the item's own action)."""
    op = call.operation
    if op in ("BatchWriteItem", "BatchGetItem"):
        return [
            Access(f"dynamodb:{op}", _table_arn(call, t)) for t in (call.params.get("RequestItems") or {})
        ]
    if op in ("TransactWriteItems", "TransactGetItems"):
        out: list[Access] = []
        for item in call.params.get("TransactItems") or []:
            for kind, body in item.items():
                action = _TRANSACT_WRITE.get(kind, "GetItem") if op == "TransactWriteItems" else "GetItem"
                access = Access(f"dynamodb:{action}", _table_arn(call, body.get("TableName", "")))
                if access not in out:
                    out.append(access)
        return out
    table = _p(call, "TableName", "ResourceArn")
    if table is None:
        return [Access(f"dynamodb:{op}", "*")]
    arn = _table_arn(call, table)
    index = _p(call, "IndexName")
    if index and op in ("Query", "Scan"):
        arn = f"{arn}/index/{index}"
    return [Access(f"dynamodb:{op}", arn)]


# ------------------------------------------------------------------------------------------ Lambda

# API operation -> IAM action where the two names differ (Invoke is the only one the project uses).
_LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeAsync": "InvokeFunction"}


def _function_arn(call: Call, name_or_arn: str, qualifier: str | None) -> str:
    value = unquote(name_or_arn)
    # a full ARN or a partial "123456789012:function:name[:qualifier]"
    tail = value.split(":function:", 1)[1] if ":function:" in value else value
    name, _, own_qualifier = tail.partition(":")
    qualifier = qualifier or own_qualifier or None
    arn = f"arn:aws:lambda:{call.region}:{call.account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def awslambda(call: Call) -> list[Access]:
    """Lambda: ``function:<name>[:<qualifier>]`` from the URL path (name, partial or full ARN; a qualifier
    from ``?Qualifier=`` or the ARN's suffix), ``layer:<name>`` for layers; Invoke is
    ``lambda:InvokeFunction``."""
    action = "lambda:" + _LAMBDA_ACTIONS.get(call.operation, call.operation)
    parts = [unquote(p) for p in call.path.split("/")]
    qualifier = _p(call, "Qualifier")
    if "functions" in parts and len(parts) > parts.index("functions") + 1:
        name = parts[parts.index("functions") + 1]
        return [Access(action, _function_arn(call, name, qualifier))]
    if "layers" in parts and len(parts) > parts.index("layers") + 1:
        layer = parts[parts.index("layers") + 1]
        if layer.startswith("arn:"):
            return [Access(action, layer)]
        return [Access(action, f"arn:aws:lambda:{call.region}:{call.account}:layer:{layer}")]
    name = _p(call, "FunctionName")
    if name:
        return [Access(action, _function_arn(call, name, qualifier))]
    return [Access(action, "*")]


# ------------------------------------------------------------------------------------------ Step Functions


def stepfunctions(call: Call) -> list[Access]:
    """Step Functions (``states:``): the state machine or execution ARN the operation names;
    CreateStateMachine the ARN the new machine will have."""
    action = f"states:{call.operation}"
    arn = _p(call, "executionArn", "stateMachineArn", "resourceArn", "mapRunArn", "stateMachineVersionArn")
    if arn:
        return [Access(action, arn)]
    if call.operation == "CreateStateMachine" and _p(call, "name"):
        return [
            Access(action, f"arn:aws:states:{call.region}:{call.account}:stateMachine:{call.params['name']}")
        ]
    return [Access(action, "*")]


# ------------------------------------------------------------------------------------------ Secrets Manager


def secretsmanager(call: Call) -> list[Access]:
    """Secrets Manager: the secret's full ARN (with its random suffix), looked up when the call names it."""
    action = f"secretsmanager:{call.operation}"
    secret = _p(call, "SecretId", "Name")
    if not secret:
        return [Access(action, "*")]
    if secret.startswith("arn:"):
        return [Access(action, call.lookup("secret", secret) or secret)]
    found = call.lookup("secret", secret)
    return [
        Access(action, found or f"arn:aws:secretsmanager:{call.region}:{call.account}:secret:{secret}-??????")
    ]


# ------------------------------------------------------------------------------------------ SNS


def sns(call: Call) -> list[Access]:
    """SNS: the topic ARN (a subscription's topic for subscription operations; CreateTopic the new ARN)."""
    action = f"sns:{call.operation}"
    topic = _p(call, "TopicArn", "ResourceArn")
    if topic:
        return [Access(action, topic)]
    subscription = _p(call, "SubscriptionArn")
    if subscription and subscription.count(":") >= 6:
        return [Access(action, subscription.rsplit(":", 1)[0])]
    if call.operation == "CreateTopic" and _p(call, "Name"):
        return [Access(action, f"arn:aws:sns:{call.region}:{call.account}:{call.params['Name']}")]
    return [Access(action, "*")]


# ------------------------------------------------------------------------------------------ SQS


def sqs(call: Call) -> list[Access]:
    """SQS: the queue ARN, from the queue URL (``.../<account>/<name>``) or the queue name."""
    action = f"sqs:{call.operation}"
    url = _p(call, "QueueUrl")
    if url:
        parts = urlparse(url).path.strip("/").split("/")
        if len(parts) >= 2:
            return [Access(action, f"arn:aws:sqs:{call.region}:{parts[-2]}:{parts[-1]}")]
    name = _p(call, "QueueName")
    if name:
        return [Access(action, f"arn:aws:sqs:{call.region}:{call.account}:{name}")]
    return [Access(action, "*")]


# ------------------------------------------------------------------------------------------ EventBridge


def _bus_arn(call: Call, bus: str | None) -> str:
    bus = bus or "default"
    return bus if bus.startswith("arn:") else f"arn:aws:events:{call.region}:{call.account}:event-bus/{bus}"


def events(call: Call) -> list[Access]:
    """EventBridge: PutEvents authorizes once per target bus (``event-bus/<name>``, default ``default``);
    rule operations the rule ARN (``rule/<name>``, ``rule/<bus>/<name>`` on a custom bus)."""
    action = f"events:{call.operation}"
    if call.operation == "PutEvents":
        out: list[Access] = []
        for entry in call.params.get("Entries") or []:
            access = Access(action, _bus_arn(call, entry.get("EventBusName")))
            if access not in out:
                out.append(access)
        return out or [Access(action, _bus_arn(call, None))]
    rule = (
        _p(call, "Rule", "Name") if "Rule" in call.operation or call.operation.endswith("Targets") else None
    )
    if rule:
        if rule.startswith("arn:"):
            return [Access(action, rule)]
        bus = _p(call, "EventBusName")
        middle = f"{bus}/" if bus and bus != "default" else ""
        return [Access(action, f"arn:aws:events:{call.region}:{call.account}:rule/{middle}{rule}")]
    arn = _p(call, "ResourceARN")
    if arn:
        return [Access(action, arn)]
    if "EventBus" in call.operation:
        return [Access(action, _bus_arn(call, _p(call, "Name", "EventBusName")))]
    return [Access(action, "*")]


# ------------------------------------------------------------------------------------------ CloudWatch Logs


def logs(call: Call) -> list[Access]:
    """CloudWatch Logs: ``log-group:<name>:log-stream:<stream>`` for stream operations (so a grant on
    ``<group ARN>:*`` covers them, as on AWS), ``log-group:<name>`` for the others."""
    action = f"logs:{call.operation}"
    group = _p(call, "logGroupName", "logGroupIdentifier")
    if not group:
        return [Access(action, _p(call, "resourceArn") or "*")]
    base = (
        group if group.startswith("arn:") else f"arn:aws:logs:{call.region}:{call.account}:log-group:{group}"
    )
    stream = _p(call, "logStreamName")
    if stream:
        return [Access(action, f"{base}:log-stream:{stream}")]
    return [Access(action, base)]


# ------------------------------------------------------------------------------------------ CloudWatch


def cloudwatch(call: Call) -> list[Access]:
    """CloudWatch: PutMetricData has no resource (``*``) and carries the ``cloudwatch:namespace`` condition
    key; alarm operations the alarm ARN."""
    action = f"cloudwatch:{call.operation}"
    if call.operation == "PutMetricData":
        return [Access(action, "*", {"cloudwatch:namespace": _p(call, "Namespace") or ""})]
    alarm = _p(call, "AlarmName")
    if alarm:
        return [Access(action, f"arn:aws:cloudwatch:{call.region}:{call.account}:alarm:{alarm}")]
    return [Access(action, "*")]


# ------------------------------------------------------------------------------------------ S3

# moto's S3 action names (from its ACTION_MAP) that are not the IAM action names.
_S3_ACTIONS = {
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListAllMyBuckets": "ListAllMyBuckets",
    "ListBuckets": "ListAllMyBuckets",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "GetBucketInventoryConfiguration": "GetInventoryConfiguration",
    "PutBucketInventoryConfiguration": "PutInventoryConfiguration",
    "ListBucketInventoryConfigurations": "GetInventoryConfiguration",
}


def s3(call: Call) -> list[Access]:
    """S3: ``arn:aws:s3:::<bucket>`` or ``arn:aws:s3:::<bucket>/<key>`` (moto passes both); the action is
    moto's name for it, renamed where IAM's differs (ListObjectsV2 is ``s3:ListBucket``)."""
    action = "s3:" + _S3_ACTIONS.get(call.operation, call.operation)
    return [Access(action, _p(call, "Resource") or "*")]


# ------------------------------------------------------------------------------------ STS, IAM, the rest

# moto service name -> IAM action prefix, where they differ.
_PREFIX = {"awslambda": "lambda", "stepfunctions": "states", "elbv2": "elasticloadbalancing"}


def sts(call: Call) -> list[Access]:
    """STS: AssumeRole is authorized on the role ARN (its trust policy is checked separately)."""
    role = _p(call, "RoleArn")
    return [Access(f"sts:{call.operation}", role or "*")]


def generic(call: Call) -> list[Access]:
    """Any other service (IAM, Scheduler, API Gateway, X-Ray...): ``<prefix>:<operation>`` on ``*``. Only the
    operator calls them in this project; a role calling one is checked against ``*``."""
    return [Access(f"{_PREFIX.get(call.service, call.service)}:{call.operation}", "*")]


RESOLVERS: dict[str, Callable[[Call], list[Access]]] = {
    "dynamodb": dynamodb,
    "awslambda": awslambda,
    "stepfunctions": stepfunctions,
    "secretsmanager": secretsmanager,
    "sns": sns,
    "sqs": sqs,
    "events": events,
    "logs": logs,
    "cloudwatch": cloudwatch,
    "s3": s3,
    "sts": sts,
}


def resolve(call: Call) -> list[Access]:
    """The authorizations one request needs (at least one)."""
    return RESOLVERS.get(call.service, generic)(call) or [generic(call)[0]]
