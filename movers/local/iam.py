"""IAM enforcement for the local AWS: who is calling, may they, and a record of every decision.

Principals, as on AWS:

- **Role sessions**: temporary credentials of an IAM role, issued by the local STS. Each Lambda worker runs
  with its function's execution role (assumed as ``lambda.amazonaws.com``, the role's trust policy checked,
  as Lambda does); the Step Functions interpreter calls its integrations with the state machine's role
  (assumed as ``states.amazonaws.com``); an EventBridge target with a ``RoleArn`` is delivered as that role.
  A role session's call is decided by the role's identity policies (inline and managed) and the resource's
  policy.
- **Service principals** (``events.amazonaws.com``, ``apigateway.amazonaws.com``, ``scheduler.amazonaws.com``)
  delivering to a resource without a role: decided by the resource's policy alone (a Lambda permission, a
  topic or queue policy), with ``aws:SourceArn`` / ``aws:SourceAccount`` set as AWS sets them.
- **The operator**: every other caller (Terraform, the CLI, tests, the ``aws`` CLI with the dummy keys of
  docs/local.md) is the account's administrator: allowed, and logged.

Every request reaches :func:`authorize` through moto's own authorization hook
(``ActionAuthenticatorMixin._authenticate_and_authorize_action``, which moto calls for every service before
dispatching, and for S3 with the bucket and key); the IAM action and resource ARNs come from
:mod:`movers.local.iam_resources`, the decision from :mod:`movers.local.iam_policy`. A denied call gets the
service's own AccessDenied error naming the principal, action and resource.

``aws:SecureTransport`` is always ``true``: the local endpoint is plain HTTP on 127.0.0.1, standing for the
HTTPS endpoint every deployed client uses (boto3's default), so a TLS-only ``Deny`` is evaluated but never
applies; a request marked insecure in a unit test is denied by it.

Settings: ``MOVERS_IAM`` = ``enforce`` (default) or ``off`` (log only, never deny: only the tests proving
the switch set it); ``MOVERS_ACCESS_LOG`` = the access log file (JSON lines, see
:mod:`movers.local.access_log`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from movers.local import access_log
from movers.local.iam_policy import Decision, Policy, PolicyError, Principal, Request, evaluate
from movers.local.iam_resources import Access, Call, resolve

log = logging.getLogger("movers.local.iam")

ADMIN_PATH = "/_movers/iam"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_SESSION_SECONDS = 12 * 3600
_lock = threading.RLock()


class IamError(RuntimeError):
    """A principal the local AWS cannot create (e.g. a role whose trust policy refuses the service)."""


@dataclass(frozen=True)
class Session:
    """Temporary credentials the local STS issued, and whom they stand for."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    principal: Principal  # role sessions: arn = role ARN; service sessions: service (+ source context)
    session_arn: str = ""  # arn:aws:sts::<account>:assumed-role/<role>/<session>
    source_arn: str = ""  # service sessions without a role: aws:SourceArn of their deliveries

    def env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


@dataclass
class _State:
    enforce: bool = True
    installed: bool = False
    expect_denials: bool = False
    role_sessions: dict[str, Session] | None = None  # by access key id
    service_sessions: dict[str, Session] | None = None
    role_cache: dict[tuple[str, str, str], tuple[Session, float]] | None = None  # (role, service, name)
    writer: access_log.Writer | None = None


_state = _State(role_sessions={}, service_sessions={}, role_cache={})


def enforcing() -> bool:
    return _state.enforce


def mode_from_env() -> bool:
    """True (enforce) unless ``MOVERS_IAM=off``; any other value is refused with a clear error."""
    value = os.environ.get("MOVERS_IAM", "enforce").strip().lower()
    if value not in ("enforce", "off"):
        raise IamError(f"MOVERS_IAM must be 'enforce' or 'off', got {value!r}")
    return value == "enforce"


# ------------------------------------------------------------------------------------------ moto state


def _account() -> str:
    return os.environ.get("MOTO_ACCOUNT_ID", "123456789012")


def _iam_backend(account: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account]["aws"]


def _role(role_arn: str) -> Any:
    account = role_arn.split(":")[4] or _account()
    return _iam_backend(account).get_role_by_arn(role_arn)


def role_policies(role_arn: str) -> list[Policy]:
    """The identity policies of a role: its inline policies and the default version of each managed one."""
    role = _role(role_arn)
    out = [Policy.parse(f"{role.name}/{name}", doc) for name, doc in role.policies.items()]
    for arn, managed in role.managed_policies.items():
        version = next(v for v in managed.versions if v.is_default)
        out.append(Policy.parse(arn, version.document))
    return out


def _trust_policy(role_arn: str) -> Policy:
    role = _role(role_arn)
    return Policy.parse(f"{role.name}/trust", role.assume_role_policy_document)


# One function per resource-based policy the project relies on; each returns the policy or None.


def _bucket_policy(resource: str) -> str | None:
    """S3 bucket policy of ``arn:aws:s3:::<bucket>[/<key>]``."""
    from moto.s3.models import s3_backends

    bucket = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    try:
        raw = s3_backends[_account()]["aws"].get_bucket(bucket).policy
    except Exception:  # no such bucket: nothing to add (the call itself will fail NoSuchBucket)
        return None
    return raw.decode() if isinstance(raw, bytes) else raw


def _function_policy(resource: str) -> str | None:
    """Lambda function policy (``aws_lambda_permission`` statements) of a function ARN."""
    from moto.awslambda.models import lambda_backends

    parts = resource.split(":")
    try:
        fn = lambda_backends[parts[4]][parts[3]].get_function(":".join(parts[:7]))
        statements = fn.policy.statements if fn.policy else []
    except Exception:
        return None
    return json.dumps({"Version": "2012-10-17", "Statement": statements}) if statements else None


def _topic_policy(resource: str) -> str | None:
    """SNS topic policy."""
    from moto.sns.models import sns_backends

    parts = resource.split(":")
    try:
        return str(sns_backends[parts[4]][parts[3]].get_topic(resource).policy)
    except Exception:
        return None


def _queue_policy(resource: str) -> str | None:
    """SQS queue policy."""
    from moto.sqs.models import sqs_backends

    parts = resource.split(":")
    try:
        queue = sqs_backends[parts[4]][parts[3]].get_queue(parts[5])
    except Exception:
        return None
    return queue.policy or None


_RESOURCE_POLICIES: dict[str, Callable[[str], str | None]] = {
    "s3": _bucket_policy,
    "lambda": _function_policy,
    "sns": _topic_policy,
    "sqs": _queue_policy,
}


def resource_policy(resource: str) -> Policy | None:
    """The resource-based policy that applies to a resource ARN, if its service has one and it is set."""
    parts = resource.split(":")
    if len(parts) < 6:
        return None
    fetch = _RESOURCE_POLICIES.get(parts[2])
    text = fetch(resource) if fetch else None
    return Policy.parse(f"resource-policy:{resource}", text) if text else None


def _lookup(kind: str, name: str) -> str | None:
    if kind == "secret":
        from moto.secretsmanager.models import secretsmanager_backends

        for region_backend in secretsmanager_backends[_account()].values():
            try:
                return str(region_backend.describe_secret(name).arn)
            except Exception:  # noqa: S112 - not in this region
                continue
    return None


# ------------------------------------------------------------------------------------------ sessions


def _new_keys() -> tuple[str, str, str]:
    return (
        "ASIA" + uuid.uuid4().hex[:16].upper(),
        uuid.uuid4().hex + uuid.uuid4().hex[:8],
        "movers-session-" + uuid.uuid4().hex + uuid.uuid4().hex,
    )


def assume_role(role_arn: str, service: str, source_arn: str = "", session_name: str = "") -> Session:
    """Credentials of ``role_arn`` for an AWS service acting on its behalf (Lambda, Step Functions,
    EventBridge, Scheduler): the role's trust policy must allow ``service`` to ``sts:AssumeRole`` (with
    ``aws:SourceAccount`` and, when given, ``aws:SourceArn`` in the context), else :class:`IamError`.
    The session is registered with moto's STS too, so GetCallerIdentity answers the assumed-role ARN."""
    from moto.sts.models import sts_backends

    account = _account()
    try:
        trust = _trust_policy(role_arn)
    except Exception as exc:
        raise IamError(f"role {role_arn} does not exist") from exc
    context = {"aws:SourceAccount": account}
    if source_arn:
        context["aws:SourceArn"] = source_arn
    request = Request(Principal(service=service, account=account), "sts:AssumeRole", role_arn, context)
    decision = _decide_trust(trust, request)
    _record(request.principal, "sts", "AssumeRole", Access("sts:AssumeRole", role_arn), decision, "service")
    if not decision.allowed:
        raise IamError(f"{service} cannot assume role {role_arn}: its trust policy does not allow it")
    name = session_name or service.split(".")[0]
    assumed = sts_backends[account]["aws"].assume_role(
        region_name="us-east-1",
        role_session_name=name,
        role_arn=role_arn,
        policy="",
        duration=_SESSION_SECONDS,
        external_id="",
    )
    session = Session(
        assumed.access_key_id,
        assumed.secret_access_key,
        assumed.session_token,
        Principal(arn=role_arn, account=account),
        session_arn=assumed.arn,
    )
    with _lock:
        assert _state.role_sessions is not None
        _state.role_sessions[session.access_key_id] = session
    _snapshot_role(role_arn)
    return session


def _decide_trust(trust: Policy, request: Request) -> Decision:
    # A trust policy is a resource policy on the role: Principal must name the service.
    try:
        return evaluate([], trust, request)
    except PolicyError as exc:
        log.warning("trust policy of %s not evaluated: %s", request.resource, exc)
        return Decision("implicit-deny")


def role_session(role_arn: str, service: str, source_arn: str = "", session_name: str = "") -> Session:
    """A cached :func:`assume_role` session (re-issued after an hour), one per role, service and name."""
    key = (role_arn, service, session_name)
    with _lock:
        assert _state.role_cache is not None
        cached = _state.role_cache.get(key)
        if cached and time.monotonic() - cached[1] < 3600:
            return cached[0]
    session = assume_role(role_arn, service, source_arn, session_name)
    with _lock:
        _state.role_cache[key] = (session, time.monotonic())
    return session


def service_session(service: str, source_arn: str) -> Session:
    """Credentials standing for an AWS service principal delivering from ``source_arn`` (the local API
    gateway calling Lambda as ``apigateway.amazonaws.com``): decided by resource policies alone."""
    if not re.fullmatch(r"[a-z0-9-]+\.amazonaws\.com", service):
        raise IamError(f"not an AWS service principal: {service!r}")
    if not source_arn.startswith("arn:aws:"):
        raise IamError(f"source_arn must be an ARN, got {source_arn!r}")
    key, secret, token = _new_keys()
    session = Session(
        key, secret, token, Principal(service=service, account=_account()), source_arn=source_arn
    )
    with _lock:
        assert _state.service_sessions is not None
        _state.service_sessions[key] = session
    return session


def _find_session(access_key_id: str) -> Session | None:
    with _lock:
        assert _state.role_sessions is not None and _state.service_sessions is not None
        found = _state.role_sessions.get(access_key_id) or _state.service_sessions.get(access_key_id)
    if found or not access_key_id.startswith("ASIA"):
        return found
    # A session the operator assumed through the STS API is confined too (it acts as the role).
    from moto.sts.models import sts_backends

    assumed = sts_backends[_account()]["aws"].get_assumed_role_from_access_key(access_key_id)
    if assumed is None:
        return None
    return Session(
        assumed.access_key_id,
        assumed.secret_access_key,
        assumed.session_token,
        Principal(arn=assumed.role_arn, account=_account()),
        session_arn=assumed.arn,
    )


def identify(headers: Mapping[str, str], query: str = "") -> Session | None:
    """The session of a request from its SigV4 ``Authorization`` header (or presigned ``X-Amz-Credential``),
    None for the operator."""
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    match = _CREDENTIAL.search(auth)
    key = match.group(1) if match else ""
    if not key and "X-Amz-Credential=" in query:
        from urllib.parse import parse_qs

        key = (parse_qs(query).get("X-Amz-Credential") or [""])[0].split("/", 1)[0]
    return _find_session(key) if key else None


# ------------------------------------------------------------------------------------------ decisions


def decide(session: Session, access: Access, secure: bool = True) -> Decision:
    """Evaluates one access for one session (see the module docstring)."""
    principal = session.principal
    context: dict[str, Any] = {"aws:SecureTransport": "true" if secure else "false", **access.context}
    context["aws:PrincipalAccount"] = principal.account
    identity: list[Policy] = []
    if principal.arn:
        context["aws:PrincipalArn"] = principal.arn
        identity = role_policies(principal.arn)
    else:
        context["aws:SourceAccount"] = principal.account
        if session.source_arn:
            context["aws:SourceArn"] = session.source_arn
    try:
        return evaluate(
            identity,
            resource_policy(access.resource),
            Request(principal, access.action, access.resource, context),
        )
    except PolicyError as exc:  # never half-understood: an unevaluable policy denies
        log.warning("policy not evaluated for %s %s: %s", access.action, access.resource, exc)
        return Decision("implicit-deny", f"unevaluable: {exc}")


def _record(
    principal: Principal | None, service: str, operation: str, access: Access, decision: Decision, kind: str
) -> None:
    writer = _state.writer
    if writer is None:
        return
    writer.write(
        {
            "time": access_log.now(),
            "kind": kind,
            "principal": principal.label if principal else "operator",
            "service": service,
            "operation": operation,
            "action": access.action,
            "resource": access.resource,
            "decision": decision.effect,
            "statement": decision.statement,
            "enforced": _state.enforce,
            "expected": _state.expect_denials and not decision.allowed,
        }
    )


def _snapshot_role(role_arn: str) -> None:
    """Writes the role's policies to the log (the report lists the grants no request used)."""
    writer = _state.writer
    if writer is None:
        return
    try:
        policies = role_policies(role_arn)
    except Exception:
        return
    writer.write(
        {
            "time": access_log.now(),
            "kind": "policies",
            "principal": role_arn,
            "policies": [{"name": p.name, "document": p.document} for p in policies],
        }
    )


def snapshot_all_roles() -> None:
    """Writes every role's policies to the log (at server shutdown: the final, restored state)."""
    try:
        roles = list(_iam_backend(_account()).roles.values())
    except Exception:
        return
    for role in roles:
        if role.path.startswith("/aws-service-role/"):
            continue
        _snapshot_role(role.arn)


def access_denied(session: Session, access: Access, decision: Decision) -> str:
    """AWS's message for a denied call."""
    who = session.session_arn or session.principal.label
    why = {
        "explicit-deny": "with an explicit deny in "
        + (
            "a resource-based policy"
            if decision.statement.startswith("resource-policy:")
            else "an identity-based policy"
        ),
        "implicit-deny": f"because no identity-based policy allows the {access.action} action"
        if session.principal.arn
        else "because no resource-based policy allows the action",
    }[decision.effect]
    return f"User: {who} is not authorized to perform: {access.action} on resource: {access.resource} {why}"


def check(
    session: Session | None, service: str, operation: str, accesses: Iterable[Access]
) -> tuple[Access, Decision] | None:
    """Decides and logs every access of one request; returns the first denied one (when enforcing)."""
    denied: tuple[Access, Decision] | None = None
    for access in accesses:
        if session is None:
            _record(None, service, operation, access, Decision("allow", "operator"), "operator")
            continue
        decision = decide(session, access)
        kind = "role" if session.principal.arn else "service"
        _record(session.principal, service, operation, access, decision, kind)
        if not decision.allowed and denied is None:
            denied = (access, decision)
    return denied if _state.enforce else None


def check_delivery(
    service: str, action: str, resource: str, source_arn: str, role_arn: str | None = None
) -> None:
    """Authorizes an in-process delivery (EventBridge to a target) as AWS does, raising :class:`IamError`
    when denied: with ``role_arn`` as that role (assumed by ``service``), else as the service principal
    against the resource's policy."""
    if not _state.installed:
        return
    if role_arn:
        session = role_session(role_arn, service, source_arn)
    else:
        session = Session("", "", "", Principal(service=service, account=_account()), source_arn=source_arn)
    denied = check(session, service.split(".")[0], action.split(":", 1)[1], [Access(action, resource)])
    if denied is not None:
        raise IamError(access_denied(session, *denied))


# ------------------------------------------------------------------------------------------ the moto hook


def _params(response: Any) -> dict[str, Any]:
    params = getattr(response, "params", None)
    if isinstance(params, dict) and params:
        return params
    body = getattr(response, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body.startswith("{"):
        try:
            parsed = json.loads(body)
            if isinstance(parsed, dict):
                return parsed
        except ValueError:
            pass
    query = getattr(response, "querystring", None) or {}
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in query.items()}


def _error(service: str, message: str) -> Exception:
    """The error AWS answers a denied call with, in the service's protocol."""
    from moto.core.exceptions import JsonRESTError, _RESTError

    if service == "s3":
        from moto.s3.exceptions import S3ClientError

        class AccessDenied(S3ClientError):
            code = "AccessDenied"
            http_status_code = 403

        return AccessDenied("AccessDenied", message)
    if service == "sns":
        error: Any = _RESTError("AuthorizationError", message)
    elif service in ("sts", "iam", "cloudwatch"):
        error = _RESTError("AccessDenied", message)
    else:
        error = JsonRESTError("AccessDeniedException", message)
    error.code = 403 if service in ("awslambda", "sns", "sts", "iam", "cloudwatch", "sqs") else 400
    return error


def _invalid_token(service: str) -> Exception:
    """AWS's answer to a session token that does not belong to the access key, in the service's protocol."""
    from moto.core.exceptions import InvalidClientTokenIdError, JsonRESTError

    message = "The security token included in the request is invalid."
    if service == "s3":
        from moto.s3.exceptions import S3InvalidTokenError

        return S3InvalidTokenError()
    if service in ("sns", "sts", "iam", "cloudwatch"):
        return InvalidClientTokenIdError()
    error = JsonRESTError("UnrecognizedClientException", message)
    error.code = 403 if service == "awslambda" else 400
    return error


def authorize_request(response: Any, resource: str) -> None:
    """moto's authorization hook: identifies, resolves, decides, logs; raises the AWS error when denied."""
    service = response.service_name
    if service == "s3":
        operation = str((response.data or {}).get("Action") or response.method)
        params: dict[str, Any] = {"Resource": resource}
    else:
        operation = response._get_action()
        params = _params(response)
    query = response.uri.split("?", 1)[1] if "?" in response.uri else ""
    session = identify(response.headers, query)
    if session is not None and session.principal.arn:
        token = response.headers.get("X-Amz-Security-Token") or response.headers.get("x-amz-security-token")
        if token != session.session_token and "X-Amz-Security-Token=" not in query:
            raise _invalid_token(service)
    if operation == "GetCallerIdentity":  # AWS allows it to everyone, even under an explicit deny
        return
    call = Call(service, operation, params, response.region, response.current_account, response.path, _lookup)
    denied = check(session, service, operation, resolve(call))
    if denied is not None:
        assert session is not None
        raise _error(service, access_denied(session, *denied))


def _hook(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    authorize_request(self, resource)


# ------------------------------------------------------------------------------------------ installation


def _credentials_for_function(spec: Any) -> dict[str, str]:
    """Executor hook: the worker environment's credentials, its execution role's (as Lambda does)."""
    from movers.local.runtime import ExecutorError

    try:
        if not spec.role_arn:
            raise IamError(f"function {spec.function_name} has no execution role")
        # Lambda names the session after the function (assumed-role/<role>/<function>)
        session = role_session(spec.role_arn, "lambda.amazonaws.com", spec.function_arn, spec.function_name)
        return session.env()
    except IamError as exc:  # Lambda refuses such a function; the invoke fails with the reason
        raise ExecutorError(f"function {spec.function_name}: {exc}") from None


def _authorize_function_logs(fn: Any, group: str, stream: str) -> bool:
    """Executor hook: Lambda writes a function's logs with its execution role (CreateLogStream for a new
    stream, PutLogEvents); False (logs dropped, as on AWS) when the role may not."""
    role_arn = str(getattr(fn, "role", "") or "")
    if not role_arn:
        return False
    try:
        session = role_session(role_arn, "lambda.amazonaws.com", fn.function_arn, fn.function_name)
    except IamError:
        return False
    base = f"arn:aws:logs:{fn.region}:{fn.account_id}:log-group:{group}"
    accesses = [Access("logs:PutLogEvents", f"{base}:log-stream:{stream}")]
    existing = fn.logs_backend.groups.get(group)
    if existing is None or stream not in existing.streams:
        accesses.insert(0, Access("logs:CreateLogStream", f"{base}:log-stream:{stream}"))
    return check(session, "logs", "ShipLambdaLogs", accesses) is None


def _patch_step_functions() -> None:
    """The interpreter signs every integration call with the state machine role's session (moto signs with
    fixed dummy keys, ignoring the role it is handed).

    One client per (region, service, role session) is kept and reused: moto builds a new boto3 client for
    every Task it runs, which cost a tenth of the local AWS's time in a backfill (each build loads the
    service model and an SSL context). A client is thread-safe for calls, and a new role session (other
    keys) gets a client of its own, so every call is still signed as the role it runs as."""
    import sys

    import boto3
    from botocore.client import BaseClient
    from moto.stepfunctions.parser.asl.utils import boto_client as module

    original = module.boto_client_for
    clients: dict[tuple[str, ...], BaseClient] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> BaseClient:
        role_arn = getattr(state_credentials, "role_arn", None)
        if not role_arn:
            return original(region=region, service=service, state_credentials=state_credentials)
        session = role_session(role_arn, "states.amazonaws.com")
        key = (region, service, session.access_key_id, session.secret_access_key, session.session_token)
        with lock:
            cached = clients.get(key)
        if cached is not None:
            return cached
        client = original(region=region, service=service, state_credentials=state_credentials)
        signed = boto3.client(  # same endpoint and config as moto's, the role's credentials
            service_name=service,
            region_name=region,
            endpoint_url=client.meta.endpoint_url,
            config=client.meta.config,
            aws_access_key_id=session.access_key_id,
            aws_secret_access_key=session.secret_access_key,
            aws_session_token=session.session_token,
        )
        with lock:
            if len(clients) >= 256:  # bounded: sessions of roles long gone are dropped
                clients.clear()
            return clients.setdefault(key, signed)

    for name, mod in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(mod, "boto_client_for", None) is original:
            mod.boto_client_for = boto_client_for  # type: ignore[attr-defined]


def _patch_events_sqs_delivery() -> None:
    """moto's EventBridge delivers to SQS targets in-process: authorize it as ``events.amazonaws.com``
    under the queue policy first (a denied delivery is dropped, as AWS drops it)."""
    from moto.events.models import Rule

    original = Rule._send_to_sqs_queue

    def _send_to_sqs_queue(
        self: Any, resource_id: str, event: dict[str, Any], group_id: str | None = None
    ) -> None:
        queue_arn = f"arn:aws:sqs:{self.region_name}:{self.account_id}:{resource_id}"
        try:
            check_delivery("events.amazonaws.com", "sqs:SendMessage", queue_arn, self.arn)
        except IamError as exc:
            log.warning("EventBridge rule %s: delivery to %s denied: %s", self.name, queue_arn, exc)
            return
        original(self, resource_id, event, group_id)

    Rule._send_to_sqs_queue = _send_to_sqs_queue  # type: ignore[method-assign]


def _patch_s3_bucket_permission() -> None:
    """moto pre-checks object requests against the bucket policy ignoring each statement's Principal, so a
    Deny naming one role would deny everyone, the operator included. That pre-check stands for anonymous
    access; this keeps it to the statements that apply to anyone (``Principal: "*"`` or ``{"AWS": "*"}``).
    Signed requests are decided with every statement, principals included, by :func:`authorize_request`."""
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode())
        statements = document.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        public = [st for st in statements if st.get("Principal") in ("*", {"AWS": "*"}, {"AWS": ["*"]})]
        if not public:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": public})).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def install(enforce: bool | None = None, log_path: str | None = None) -> None:
    """Hooks enforcement into moto, the executor and the interpreter (idempotent)."""
    from moto.core.authorization import ActionAuthenticatorMixin

    from movers.local import worker_pool
    from movers.local.compat import lambda_hook

    _state.enforce = mode_from_env() if enforce is None else enforce
    path = log_path if log_path is not None else os.environ.get("MOVERS_ACCESS_LOG", "")
    if path and _state.writer is None:
        _state.writer = access_log.Writer(path)
    if _state.installed:
        return
    # Import every interpreter module that imported boto_client_for before patching their references.
    import moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn  # noqa: F401
    from moto.stepfunctions.parser.asl.parse import asl_parser  # noqa: F401

    ActionAuthenticatorMixin._authenticate_and_authorize_action = _hook  # type: ignore[method-assign]
    worker_pool.credentials_provider = _credentials_for_function
    lambda_hook.logs_authorizer = _authorize_function_logs
    _patch_step_functions()
    _patch_events_sqs_delivery()
    _patch_s3_bucket_permission()
    _state.installed = True


def shutdown() -> None:
    """Writes the final role snapshot and closes the log."""
    if _state.writer is not None:
        snapshot_all_roles()
        _state.writer.close()


# ------------------------------------------------------------------------------------------ admin API


class IamAdmin:
    """WSGI middleware serving ``/_movers/iam``: ``GET`` the mode and log path; ``POST`` with
    ``{"expect_denials": bool}`` marks the denials that follow as expected (the proof tests), with
    ``{"service_session": {"service", "source_arn"}}`` issues credentials of a service principal (the local
    API gateway), with ``{"role_session": {"role_arn", "service", "source_arn"}}`` those of a role as that
    service assumes it (the local Scheduler stand-in), the trust policy checked."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != ADMIN_PATH:
            return self.app(environ, start_response)
        return self._admin(environ, start_response)

    def _admin(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        from movers.local.faults import _read_body, _status_line

        status, out = 200, self.state()
        try:
            if environ.get("REQUEST_METHOD") == "POST":
                spec = json.loads(_read_body(environ) or b"{}")
                if "expect_denials" in spec:
                    _state.expect_denials = bool(spec["expect_denials"])
                    out = self.state()
                elif "service_session" in spec:
                    s = service_session(
                        spec["service_session"]["service"], spec["service_session"]["source_arn"]
                    )
                    out = {"credentials": s.env()}
                elif "role_session" in spec:
                    r = spec["role_session"]
                    s = assume_role(r["role_arn"], r["service"], r.get("source_arn", ""))
                    out = {"credentials": s.env()}
                else:
                    status, out = 400, {"message": "expected expect_denials, service_session or role_session"}
        except (IamError, KeyError, TypeError, ValueError) as exc:
            status, out = 400, {"message": str(exc)}
        payload = json.dumps(out).encode()
        start_response(
            _status_line(status),
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        yield payload

    @staticmethod
    def state() -> dict[str, Any]:
        writer = _state.writer
        return {
            "enforce": _state.enforce,
            "expect_denials": _state.expect_denials,
            "access_log": writer.path if writer else None,
        }
