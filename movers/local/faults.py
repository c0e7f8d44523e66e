"""Fault injection for the local AWS: make the next N matching API requests fail the way AWS fails them.

:class:`FaultInjector` is a WSGI middleware around moto's app (installed by ``movers.local.server``). While
unarmed it passes every request through untouched. Armed, it answers the next matching requests itself with
the error AWS sends for that service (HTTP status, headers, JSON body), so every client - boto3 in a test, a
Lambda handler, the Step Functions interpreter (which calls services over HTTP on the same server) - sees a
real service error and handles it with its own code. Nothing in moto is changed; the request never reaches it.

Matching (all given fields must match):

- ``service``: the boto3 service name (``lambda``, ``dynamodb``, ``events``, ``stepfunctions``,
  ``secretsmanager``), read from the SigV4 credential scope (or the ``X-Amz-Target`` prefix);
- ``action``: the API action - for JSON protocols the part of ``X-Amz-Target`` after the dot
  (``DynamoDB_20120810.GetItem`` -> ``GetItem``), for Lambda ``Invoke`` on
  ``POST /2015-03-31/functions/<name-or-arn>/invocations``;
- ``function`` (Lambda only): the function name (a full or partial ARN in the path is reduced to its name);
- ``body_contains``: a substring the request body must contain (e.g. a date, to hit one execution only).

Each armed rule holds a list of error codes, one consumed per matching request; a rule with none left stops
matching. For Lambda ``Invoke`` the code ``Runtime.ExitError`` is not an API error: the request goes through
and the worker process running the handler dies ``CRASH_AFTER_MS`` into it (or as it returns, if sooner),
so the caller gets the function error a crashed sandbox gives (``Runtime.ExitError``), after whatever side
effects the handler had made by then.

Admin API on the same server: ``POST /_movers/faults`` arms a rule (JSON ``{"service", "action", "errors":
[code | {"code", "status"}], "function"?, "body_contains"?}``), ``DELETE /_movers/faults`` clears every
rule and the log, ``GET /_movers/faults`` returns ``{"rules": [...], "injected": N, "log": [...]}``.
"""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

ADMIN_PATH = "/_movers/faults"

# The error codes AWS sends for the services our state machines call, with their HTTP status (from the
# services' API models: botocore's error shapes, and AWS's documented status for the JSON protocols).
CATALOG: dict[str, dict[str, int]] = {
    "lambda": {
        "ServiceException": 500,
        "TooManyRequestsException": 429,
        "ResourceNotFoundException": 404,
        "ResourceConflictException": 409,
        "ResourceNotReadyException": 502,
        "EC2ThrottledException": 502,
        "ENILimitReachedException": 502,
        "InvalidRequestContentException": 400,
        "RequestTooLargeException": 413,
    },
    "dynamodb": {
        "ProvisionedThroughputExceededException": 400,
        "ThrottlingException": 400,
        "RequestLimitExceeded": 400,
        "InternalServerError": 500,
        "ResourceNotFoundException": 400,
        "ConditionalCheckFailedException": 400,
        "TransactionConflictException": 400,
        "ValidationException": 400,
    },
    "events": {
        "InternalException": 500,
        "ThrottlingException": 400,
        "ResourceNotFoundException": 400,
        "AccessDeniedException": 400,
    },
    "stepfunctions": {
        "ThrottlingException": 400,
        "ExecutionAlreadyExists": 400,
        "ExecutionLimitExceeded": 400,
        "StateMachineDoesNotExist": 400,
        "InvalidArn": 400,
        "ServiceQuotaExceededException": 400,
        "InternalFailure": 500,
    },
    "secretsmanager": {
        "InternalServiceError": 500,
        "ThrottlingException": 400,
        "ResourceNotFoundException": 400,
        "DecryptionFailure": 400,
    },
}

CRASH = "Runtime.ExitError"
CRASH_AFTER_MS = 150
_crash = threading.local()


def take_crash() -> int | None:
    """For the executor: the crash delay armed for the invoke being handled on this thread (once)."""
    delay: int | None = getattr(_crash, "after_ms", None)
    _crash.after_ms = None
    return delay


# SigV4 signing names that differ from boto3 service names.
_SIGNING_TO_SERVICE = {"states": "stepfunctions"}
_TARGET_TO_SERVICE = {
    "DynamoDB_20120810": "dynamodb",
    "AWSEvents": "events",
    "AWSStepFunctions": "stepfunctions",
    "secretsmanager": "secretsmanager",
}
# JSON protocol details per service: content type and the "__type" namespace AWS puts before the code.
_JSON_PROTOCOL = {
    "dynamodb": ("application/x-amz-json-1.0", "com.amazonaws.dynamodb.v20120810#"),
    "stepfunctions": ("application/x-amz-json-1.0", ""),
    "events": ("application/x-amz-json-1.1", ""),
    "secretsmanager": ("application/x-amz-json-1.1", ""),
}
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_INVOKE_PATH = re.compile(r"^/\d{4}-\d{2}-\d{2}/functions/([^/]+)/invocations/?$")


class FaultError(ValueError):
    """A fault rule that cannot be armed (unknown service, action, error code or field)."""


@dataclass(frozen=True)
class Request:
    """What a request is, as far as matching goes."""

    service: str
    action: str
    function: str | None = None


@dataclass
class Rule:
    """One armed fault: which requests it matches and the errors still to inject (first one next)."""

    service: str
    action: str
    errors: list[tuple[str, int]]
    function: str | None = None
    body_contains: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    injected: int = 0

    def matches(self, request: Request) -> bool:
        return (
            bool(self.errors)
            and self.service == request.service
            and self.action == request.action
            and (self.function is None or self.function == request.function)
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "action": self.action,
            "function": self.function,
            "body_contains": self.body_contains,
            "remaining": [code for code, _ in self.errors],
            "injected": self.injected,
        }


def function_name(name_or_arn: str) -> str:
    """The function name of a name, a partial ARN (``123456789012:function:f``) or a full ARN."""
    value = unquote(name_or_arn)
    if ":function:" in value:
        value = value.split(":function:", 1)[1]
    return value.split(":", 1)[0]


def describe(environ: dict[str, Any]) -> Request | None:
    """The service, action (and Lambda function) of a WSGI request; None when it is neither a JSON
    protocol call nor a Lambda invocation (those are never matched)."""
    signed = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = _SIGNING_TO_SERVICE.get(signed.group(1), signed.group(1)) if signed else ""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target and "." in target:
        prefix, action = target.rsplit(".", 1)
        return Request(service or _TARGET_TO_SERVICE.get(prefix, prefix), action)
    invoke = _INVOKE_PATH.match(environ.get("PATH_INFO", ""))
    if invoke and environ.get("REQUEST_METHOD") == "POST":
        return Request("lambda", "Invoke", function_name(invoke.group(1)))
    return None


def _parse_errors(service: str, errors: Any) -> list[tuple[str, int]]:
    if not isinstance(errors, list) or not errors:
        raise FaultError("errors must be a non-empty list of error codes")
    known = CATALOG[service]
    out: list[tuple[str, int]] = []
    for entry in errors:
        if entry == CRASH and service == "lambda":
            out.append((CRASH, 0))  # status 0: not answered by the switch, see the module docstring
        elif isinstance(entry, str):
            if entry not in known:
                crash = f", {CRASH}" if service == "lambda" else ""
                raise FaultError(
                    f"unknown {service} error code {entry!r}; known: {', '.join(sorted(known))}{crash}"
                    ' (or give {"code", "status"})'
                )
            out.append((entry, known[entry]))
        elif isinstance(entry, dict) and set(entry) == {"code", "status"}:
            code, status = entry["code"], entry["status"]
            if not (isinstance(code, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9.]*", code)):
                raise FaultError(f"error code must be a word, got {code!r}")
            if not (isinstance(status, int) and 400 <= status <= 599):
                raise FaultError(f"error status must be an HTTP error status 400..599, got {status!r}")
            out.append((code, status))
        else:
            raise FaultError(f'an error is a code or {{"code", "status"}}, got {entry!r}')
    return out


def parse_rule(spec: Any) -> Rule:
    """Validates an arm request and returns its rule; :class:`FaultError` names the bad field."""
    if not isinstance(spec, dict):
        raise FaultError("a fault rule must be a JSON object")
    allowed = {"service", "action", "errors", "function", "body_contains"}
    extra = sorted(set(spec) - allowed)
    if extra:
        raise FaultError(f"unknown field(s): {', '.join(extra)}")
    service, action = spec.get("service"), spec.get("action")
    if service not in CATALOG:
        raise FaultError(f"service must be one of {', '.join(sorted(CATALOG))}, got {service!r}")
    if not (isinstance(action, str) and re.fullmatch(r"[A-Z][A-Za-z0-9]*", action)):
        raise FaultError(f"action must be an API action name like GetItem, got {action!r}")
    if service == "lambda" and action != "Invoke":
        raise FaultError(f"only the lambda action Invoke can be faulted, got {action!r}")
    function = spec.get("function")
    if function is not None:
        if service != "lambda" or not isinstance(function, str) or not function:
            raise FaultError("function applies to lambda Invoke only and must be a function name or ARN")
        function = function_name(function)
    body_contains = spec.get("body_contains")
    if body_contains is not None and not (isinstance(body_contains, str) and body_contains):
        raise FaultError("body_contains must be a non-empty string")
    return Rule(service, action, _parse_errors(service, spec.get("errors")), function, body_contains)


def error_response(service: str, code: str, status: int) -> tuple[int, list[tuple[str, str]], bytes]:
    """The HTTP status, headers and body AWS answers an error with, for the service's protocol."""
    request_id = str(uuid.uuid4())
    message = f"{code} (injected by the local AWS fault switch)"
    if service == "lambda":
        # REST-JSON: the code travels in x-amzn-ErrorType; "Type" says whose fault it is.
        body: dict[str, Any] = {"Type": "Service" if status >= 500 else "User", "message": message}
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
        if code == "TooManyRequestsException":
            body["Reason"] = "CallerRateLimitExceeded"
            headers.append(("Retry-After", "1"))
    else:
        content_type, namespace = _JSON_PROTOCOL[service]
        body = {"__type": f"{namespace}{code}", "message": message}
        headers = [("Content-Type", content_type)]
    payload = json.dumps(body).encode()
    headers += [("x-amzn-RequestId", request_id), ("Content-Length", str(len(payload)))]
    return status, headers, payload


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def _read_body(environ: dict[str, Any]) -> bytes:
    """Reads the request body and puts an identical stream back for the wrapped app."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        body = stream.read(int(length)) if int(length) else b""
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return bytes(body)


StartResponse = Callable[..., Any]


class FaultInjector:
    """WSGI middleware: answers matching requests with armed AWS errors, passes everything else on."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._log: list[dict[str, Any]] = []

    # -- state, also usable in-process ----------------------------------------------------------------

    def arm(self, spec: Any) -> Rule:
        """Arms a rule from its JSON form (see the module docstring)."""
        rule = parse_rule(spec)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> int:
        """Removes every rule and the log; returns how many rules there were."""
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
            self._log.clear()
        return count

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "rules": [r.as_dict() for r in self._rules],
                "injected": len(self._log),
                "log": list(self._log),
            }

    def _take(self, request: Request, body: bytes | None) -> tuple[str, int] | None:
        with self._lock:
            for rule in self._rules:
                if not rule.matches(request):
                    continue
                if rule.body_contains is not None and (
                    body is None or rule.body_contains.encode() not in body
                ):
                    continue
                code, status = rule.errors.pop(0)
                rule.injected += 1
                self._log.append(
                    {
                        "rule": rule.id,
                        "service": request.service,
                        "action": request.action,
                        "function": request.function,
                        "code": code,
                        "status": status,
                    }
                )
                return code, status
        return None

    def _candidates(self, request: Request) -> list[Rule]:
        with self._lock:
            return [r for r in self._rules if r.matches(request)]

    # -- WSGI ------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == ADMIN_PATH:
            return self._admin(environ, start_response)
        if not self._rules:  # the common case: nothing armed, no parsing at all
            return self.app(environ, start_response)
        request = describe(environ)
        if request is None:
            return self.app(environ, start_response)
        candidates = self._candidates(request)
        if not candidates:
            return self.app(environ, start_response)
        body = _read_body(environ) if any(r.body_contains for r in candidates) else None
        taken = self._take(request, body)
        if taken is None:
            return self.app(environ, start_response)
        if taken[0] == CRASH:
            _crash.after_ms = CRASH_AFTER_MS
            try:
                return self.app(environ, start_response)
            finally:
                _crash.after_ms = None
        status, headers, payload = error_response(request.service, *taken)
        start_response(_status_line(status), headers)
        return [payload]

    def _admin(self, environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if method == "GET":
                status, out = 200, self.state()
            elif method == "DELETE":
                status, out = 200, {"cleared": self.clear()}
            elif method == "POST":
                try:
                    spec = json.loads(_read_body(environ) or b"null")
                except json.JSONDecodeError as exc:
                    raise FaultError(f"body must be JSON: {exc.msg}") from None
                status, out = 201, self.arm(spec).as_dict()
            else:
                status, out = 405, {"message": f"method {method} not allowed; use GET, POST or DELETE"}
        except FaultError as exc:
            status, out = 400, {"message": str(exc)}
        payload = json.dumps(out).encode()
        start_response(
            _status_line(status),
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        yield payload
