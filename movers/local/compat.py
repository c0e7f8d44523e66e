"""Every fix this project applies to moto, in one place; :func:`apply` installs them all (idempotent).

Each fix is a small function whose docstring says what AWS does and why the fix is faithful. They exist only
where moto lacks or mis-implements an API that Terraform's AWS provider or our state machines use. Each has
a test in ``tests/local/test_compat.py``.

Environment: ``MOVERS_TIME_SCALE`` (float, default 1.0) scales every Wait state and Retry interval sleep
(Step Functions Local calls the same knob WAIT_TIME_SCALE); history timestamps stay real. ``SFN_MOCK_CONFIG``
names Step Functions Local's mock configuration file, used by executions started on ``arn#TestCase``.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

_applied = False
_lock = threading.Lock()
_time_scale = 1.0


class DefinitionError(ValueError):
    """An ASL definition that AWS would refuse, with AWS-style diagnostics."""

    def __init__(self, diagnostics: list[dict[str, str]]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0]
        super().__init__(f"{first['code']}: {first['message']} at {first['location']}")


# --------------------------------------------------------------------------------------------------
# Time scale


def time_scale() -> float:
    """The current factor applied to Wait/Retry sleeps."""
    return _time_scale


def set_time_scale(scale: float) -> None:
    """Sets the Wait/Retry sleep factor (``MOVERS_TIME_SCALE``); must be > 0."""
    global _time_scale
    if not (scale > 0):
        raise ValueError(f"time scale must be a positive number, got {scale!r}")
    _time_scale = float(scale)


def _scaled_sleep(seconds: float) -> None:
    import time

    time.sleep(max(0.0, seconds) * _time_scale)


class _ScaledTime:
    """Stands in for the ``time`` module inside the retrier module: only ``sleep`` is scaled."""

    def __getattr__(self, name: str) -> Any:
        import time

        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        _scaled_sleep(seconds)


def fix_time_scale() -> None:
    """Scales Wait-state and Retry-interval sleeps by ``MOVERS_TIME_SCALE``.

    AWS waits real time. Tests cannot wait minutes for a backoff, so, like Step Functions Local's
    WAIT_TIME_SCALE, the interpreter's two sleeps (``WaitFunction._wait_interval`` and the
    ``time.sleep`` in ``RetrierDecl._eval_body``) are multiplied by the factor. Nothing else changes: the
    order of events, the retry count and the history timestamps (real clock) are as on AWS.
    """
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

    retrier_decl.time = _ScaledTime()  # type: ignore[assignment]

    def _wait_interval(self: Any, env: Any, wait_seconds: float) -> None:
        # Same contract as moto's: wake early if the execution stops (program_state_event is set then).
        if wait_seconds > 0:
            env.program_state_event.wait(wait_seconds * _time_scale)

    WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]


def fix_json_path_parse_is_cached() -> None:
    """Parses each JSONPath expression once instead of on every evaluation.

    The interpreter calls ``jsonpath_ng``'s ``parse`` for every ``$.x`` it evaluates (InputPath, Parameters,
    Choice variables, ResultPath), and each parse builds a new PLY lexer and parser: about 6 ms, so a
    Choice loop runs some 45 states a second and an execution of 25,000 history events takes minutes.
    Parsed expressions are immutable and ``find`` does not change them, so one cached parse per distinct
    expression gives the same results. Only speed changes.
    """
    import functools

    import jsonpath_ng
    import jsonpath_ng.ext
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    json_path.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.ext.parse)
    result_path.parse = functools.lru_cache(maxsize=4096)(jsonpath_ng.parse)


# --------------------------------------------------------------------------------------------------
# State machine definition validation


_NEEDS_TRANSITION = {"Task", "Pass", "Wait", "Parallel", "Map"}
_KNOWN_TYPES = _NEEDS_TRANSITION | {"Choice", "Succeed", "Fail"}


def _diag(code: str, message: str, location: str) -> dict[str, str]:
    return {"severity": "ERROR", "code": code, "message": message, "location": location}


def _check_scope(machine: Any, where: str) -> Iterator[dict[str, str]]:
    """Checks one States scope (top level, a Parallel branch or a Map processor)."""
    if not isinstance(machine, dict):
        yield _diag("SCHEMA_VALIDATION_FAILED", "Expected an object", where or "/")
        return
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        yield _diag(
            "SCHEMA_VALIDATION_FAILED",
            "The field 'States' is required and must not be empty",
            f"{where}/States",
        )
        return
    start = machine.get("StartAt")
    if not isinstance(start, str):
        yield _diag("SCHEMA_VALIDATION_FAILED", "The field 'StartAt' is required", f"{where}/StartAt")
    elif start not in states:
        yield _diag("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {start}", f"{where}/StartAt")
    for name, state in states.items():
        loc = f"{where}/States/{name}"
        if not isinstance(state, dict):
            yield _diag("SCHEMA_VALIDATION_FAILED", "A state must be an object", loc)
            continue
        typ = state.get("Type")
        if typ not in _KNOWN_TYPES:
            yield _diag("SCHEMA_VALIDATION_FAILED", f"Unknown state type {typ!r}", f"{loc}/Type")
            continue
        targets: list[tuple[Any, str]] = []
        if "Next" in state:
            targets.append((state["Next"], f"{loc}/Next"))
        elif typ in _NEEDS_TRANSITION and state.get("End") is not True:
            yield _diag("SCHEMA_VALIDATION_FAILED", "Every state must have 'Next' or 'End': true", loc)
        if typ == "Choice":
            if "Default" in state:
                targets.append((state["Default"], f"{loc}/Default"))
            choices = state.get("Choices")
            if not isinstance(choices, list) or not choices:
                yield _diag(
                    "SCHEMA_VALIDATION_FAILED", "A Choice state needs a non-empty 'Choices'", f"{loc}/Choices"
                )
            else:
                for i, choice in enumerate(choices):
                    nxt = choice.get("Next") if isinstance(choice, dict) else None
                    targets.append((nxt, f"{loc}/Choices/{i}/Next"))
        for catcher_i, catcher in enumerate(state.get("Catch") or []):
            nxt = catcher.get("Next") if isinstance(catcher, dict) else None
            targets.append((nxt, f"{loc}/Catch/{catcher_i}/Next"))
        for target, target_loc in targets:
            if target not in states:
                yield _diag("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", target_loc)
        if typ == "Parallel":
            branches = state.get("Branches")
            if not isinstance(branches, list) or not branches:
                yield _diag(
                    "SCHEMA_VALIDATION_FAILED", "A Parallel state needs 'Branches'", f"{loc}/Branches"
                )
            else:
                for i, branch in enumerate(branches):
                    yield from _check_scope(branch, f"{loc}/Branches/{i}")
        if typ == "Map":
            key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
            yield from _check_scope(state.get(key), f"{loc}/{key}")


def validate_definition(definition: str) -> list[dict[str, str]]:
    """Returns AWS-style diagnostics for an ASL definition (empty when it is valid).

    Checks what AWS's validator checks that matters here: valid JSON, ``StartAt`` and every ``Next``,
    ``Default``, ``Choices[].Next`` and ``Catch[].Next`` naming a state of the same scope (recursively in
    Parallel branches and Map ``ItemProcessor``/``Iterator``), a transition on every non-terminal state,
    and that moto's ASL grammar (the interpreter that will run it) accepts it.
    """
    try:
        machine = json.loads(definition)
    except (TypeError, ValueError) as exc:
        return [_diag("INVALID_JSON_DESCRIPTION", f"Invalid JSON: {exc}", "/")]
    diagnostics = list(_check_scope(machine, ""))
    if not diagnostics:
        from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

        try:
            AmazonStateLanguageParser.parse(definition)
        except Exception as exc:  # the parser raises many types; all mean "AWS would refuse it"
            diagnostics.append(_diag("SCHEMA_VALIDATION_FAILED", f"{type(exc).__name__}: {exc}", "/"))
    return diagnostics


def fix_validate_state_machine_definition() -> None:
    """Adds ``states:ValidateStateMachineDefinition`` and makes Create/UpdateStateMachine validate.

    AWS answers ValidateStateMachineDefinition with ``{"result": "OK"|"FAIL", "diagnostics": [...],
    "truncated": false}``; Terraform's provider calls it at plan and apply for ``aws_sfn_state_machine``
    and moto lacks it. AWS also refuses an invalid definition in CreateStateMachine/UpdateStateMachine with
    ``InvalidDefinition``; moto accepts e.g. a ``StartAt`` naming a missing state. Both use
    :func:`validate_definition`, so a definition that fails here would fail on AWS too.
    """
    from moto.core.exceptions import AWSError
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    class InvalidDefinition(AWSError):
        TYPE = "InvalidDefinition"
        STATUS = 400

    def validate_state_machine_definition(self: Any) -> Any:
        diagnostics = validate_definition(self._get_param("definition"))
        result = "FAIL" if diagnostics else "OK"
        return ActionResult({"result": result, "diagnostics": diagnostics, "truncated": False})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition  # type: ignore[attr-defined]

    def checked(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def handler(self: Any) -> Any:
            definition = self._get_param("definition")
            if definition is not None:
                diagnostics = validate_definition(definition)
                if diagnostics:
                    first = diagnostics[0]
                    raise InvalidDefinition(
                        f"Invalid State Machine Definition: '{first['code']}: {first['message']} "
                        f"at {first['location']}'"
                    )
            return original(self)

        handler.__name__ = original.__name__
        return handler

    responses: Any = StepFunctionResponse
    responses.create_state_machine = checked(StepFunctionResponse.create_state_machine)
    responses.update_state_machine = checked(StepFunctionResponse.update_state_machine)


def fix_list_state_machine_versions() -> None:
    """Adds ``states:ListStateMachineVersions``, answered from the versions moto tracks on publish.

    Terraform's provider lists versions when it reads ``aws_sfn_state_machine`` (moto lacks the API, so
    the state machine and everything after it fails). moto keeps ``publish=true`` versions on the state
    machine; AWS lists them newest first.
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def list_state_machine_versions(self: Any) -> Any:
        arn = self._get_param("stateMachineArn")
        machine = self.stepfunction_backend.describe_state_machine(arn)
        versions = sorted(getattr(machine, "versions", {}).items(), reverse=True)
        items = [{"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for _, v in versions]
        return ActionResult({"stateMachineVersions": items})

    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions  # type: ignore[attr-defined]


def _split_qualified_machine_arn(arn: str) -> tuple[str, str | None]:
    """``arn:...:stateMachine:name[:qualifier]`` -> (unqualified ARN, qualifier or None)."""
    parts = arn.split(":")
    if len(parts) == 8 and parts[5] == "stateMachine":
        return ":".join(parts[:7]), parts[7]
    return arn, None


def pick_alias_version(routing: list[dict[str, Any]], draw: float) -> str:
    """The version ARN an alias routes one execution to: ``draw`` in [0, 100) against cumulative weights."""
    total = 0.0
    for route in routing:
        total += float(route["weight"])
        if draw < total:
            return str(route["stateMachineVersionArn"])
    return str(routing[-1]["stateMachineVersionArn"])


def fix_start_execution_on_version_or_alias() -> None:
    """StartExecution accepts a version ARN (``...:name:3``) or an alias ARN (``...:name:live``), as on AWS.

    AWS runs the version's definition (an alias picks a version by its routing weights) and records the
    execution under the state machine: its ARN is ``execution:<name>:<id>``, ListExecutions of the machine
    lists it, and DescribeExecution adds ``stateMachineVersionArn`` (and ``stateMachineAliasArn``). moto
    answers StateMachineDoesNotExist for an alias and 500 for a version (its version object lacks the
    machine's execution bookkeeping), so schedules, rules and functions that target the ``live`` alias
    could not start anything. We run moto's own start on a shallow twin of the machine that carries the
    version's definition and role and shares the machine's execution list.
    """
    import copy
    import random

    from moto.stepfunctions.exceptions import ResourceNotFound
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    original_start = StepFunctionsParserBackend.start_execution

    class _Resolved:
        """The backend as moto's start sees it, except that it describes the twin for one ARN."""

        def __init__(self, backend: Any, arn: str, twin: Any) -> None:
            self._backend, self._arn, self._twin = backend, arn, twin

        def __getattr__(self, name: str) -> Any:
            return getattr(self._backend, name)

        def describe_state_machine(self, arn: str) -> Any:
            return self._twin if arn == self._arn else self._backend.describe_state_machine(arn)

    def start_execution(self: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        base_arn, qualifier = _split_qualified_machine_arn(state_machine_arn)
        if qualifier is None:
            return original_start(self, state_machine_arn, *args, **kwargs)
        machine = self.describe_state_machine(base_arn)
        alias_arn = None
        if not qualifier.isdigit():
            alias = machine.aliases.get(qualifier)
            if alias is None:
                raise ResourceNotFound(f"State Machine Alias Does Not Exist: '{state_machine_arn}'")
            alias_arn = alias.arn
            version_arn = pick_alias_version(alias.routing_configuration, random.uniform(0, 100))
            qualifier = version_arn.rsplit(":", 1)[1]
        version = machine.versions.get(int(qualifier))
        if version is None:
            raise ResourceNotFound(f"State Machine Version Does Not Exist: '{base_arn}:{qualifier}'")
        twin = copy.copy(machine)  # shares executions, versions and aliases with the machine
        twin.definition, twin.roleArn = version.definition, version.roleArn
        resolved: Any = _Resolved(self, base_arn, twin)
        execution: Any = original_start(resolved, base_arn, *args, **kwargs)
        execution.movers_version_arn = version.arn
        execution.movers_alias_arn = alias_arn
        return execution

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]

    original_describe = StepFunctionResponse.describe_execution

    def describe_execution(self: Any) -> Any:
        result = original_describe(self)
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        body = result.result
        if isinstance(body, dict) and getattr(execution, "movers_version_arn", None):
            body["stateMachineVersionArn"] = execution.movers_version_arn
            if execution.movers_alias_arn:
                body["stateMachineAliasArn"] = execution.movers_alias_arn
        return result

    StepFunctionResponse.describe_execution = describe_execution  # type: ignore[method-assign]


def fix_lambda_invoke_qualifier_parameter() -> None:
    """Invoke honours the ``Qualifier`` query parameter (``?Qualifier=live``), as Lambda does.

    The Invoke API takes a version or alias either in the function name (``name:live``) or as the
    ``Qualifier`` query parameter; moto reads only a lower-case ``qualifier`` parameter, so
    ``invoke(FunctionName=name, Qualifier="live")`` silently ran ``$LATEST``. We copy the documented
    parameter to the name moto reads.
    """
    from moto.awslambda.responses import LambdaResponse

    original = LambdaResponse.invoke

    def invoke(self: Any) -> Any:
        qualifier = self.querystring.get("Qualifier")
        if qualifier and "qualifier" not in self.querystring:
            self.querystring["qualifier"] = qualifier
        return original(self)

    invoke.__wrapped__ = original  # type: ignore[attr-defined]
    LambdaResponse.invoke = invoke  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------------
# Executions


def aws_timestamp(value: datetime) -> str:
    """``2026-11-20T21:05:00.123Z``: the ISO-8601 form AWS uses in the context object."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def fix_execution_start_time() -> None:
    """Makes ``$$.Execution.StartTime`` an ISO-8601 string, as AWS documents it.

    moto passes the Python datetime into the context object, so a state that stores it (e.g. a DynamoDB
    ``putItem`` with ``"S.$": "$$.Execution.StartTime"``) fails to serialise. AWS gives a string such as
    ``2026-11-20T21:05:00.123Z``; we format the same instant that way.
    """
    from moto.stepfunctions.parser.backend.execution import Execution

    original = Execution.get_start_execution_details

    def get_start_execution_details(self: Any) -> Any:
        details = original(self)
        if isinstance(details.start_time, datetime):
            details.start_time = aws_timestamp(details.start_time)
        return details

    Execution.get_start_execution_details = get_start_execution_details  # type: ignore[method-assign]


def fix_execution_name_and_output() -> None:
    """An unnamed StartExecution gets a UUID name; DescribeExecution output is always JSON text.

    AWS generates a UUID when ``name`` is omitted; moto builds the ARN ``...:None`` so a second unnamed
    start is refused as a duplicate. AWS's ``output`` is the JSON encoding of the final state's output, so a
    plain string result comes back as ``"\\"text\\""``; moto returns the raw string.
    """
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str
    from moto.stepfunctions.parser.backend.execution import Execution as ParserExecution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    original_start = StepFunctionsParserBackend.start_execution

    def start_execution(
        self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        return original_start(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]

    original_describe = StepFunctionResponse.describe_execution

    def describe_execution(self: Any) -> Any:
        result = original_describe(self)
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        body = result.result
        if isinstance(execution, ParserExecution) and isinstance(body, dict) and "output" in body:
            body["output"] = to_json_str(execution.output, separators=(",", ":"))
        return result

    StepFunctionResponse.describe_execution = describe_execution  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------------
# Lambda configuration


def fix_lambda_stored_config() -> None:
    """Stores and returns Lambda ``DeadLetterConfig`` and ``LoggingConfig`` like AWS.

    moto drops both, so Terraform sees a difference on every plan for ``dead_letter_config`` and
    ``logging_config``. AWS returns what was set (and a default ``LoggingConfig`` of Text format with the
    ``/aws/lambda/<name>`` group), which is what we return.
    """
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.movers_dead_letter_config = spec.get("DeadLetterConfig")
        self.movers_logging_config = spec.get("LoggingConfig")

    def get_configuration(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original_get(self, *args, **kwargs)
        dlq = getattr(self, "movers_dead_letter_config", None)
        if dlq and dlq.get("TargetArn"):
            config["DeadLetterConfig"] = dlq
        logging_config = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}"}
        logging_config.update(getattr(self, "movers_logging_config", None) or {})
        config["LoggingConfig"] = logging_config
        return config

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> Any:
        if "DeadLetterConfig" in config_updates:
            self.movers_dead_letter_config = config_updates["DeadLetterConfig"]
        if "LoggingConfig" in config_updates:
            self.movers_logging_config = config_updates["LoggingConfig"]
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign]


def fix_lambda_code_size_limits() -> None:
    """Refuses Lambda code over the deployment-package quotas at the calls where Lambda refuses it.

    moto stores a package of any size. Lambda answers a direct upload (``ZipFile``) whose request is over
    69,905,067 bytes (a 50 MiB zip, base64) with 413 ``RequestEntityTooLargeException``, and a layer, or a
    function's code plus its layers, over 250 MiB unzipped with ``InvalidParameterValueException``, at
    PublishLayerVersion, CreateFunction, UpdateFunctionCode and UpdateFunctionConfiguration (new layers). The
    same checks (``movers.lambda_limits``, shared with ``make build``) run here before moto stores anything,
    so a package AWS would refuse fails the local stack too, with AWS's error code and message.
    """
    import base64

    from moto.awslambda.exceptions import InvalidParameterValueException, LambdaClientError
    from moto.awslambda.models import LambdaBackend, _validate_s3_bucket_and_key
    from moto.utilities.utils import get_partition

    from movers import lambda_limits

    class RequestEntityTooLarge(LambdaClientError):
        code = 413

        def __init__(self, operation: str) -> None:
            super().__init__("RequestEntityTooLargeException", lambda_limits.request_too_large(operation))

    def refuse_large_request(code: dict[str, Any], operation: str) -> None:
        zipped = code.get("ZipFile")
        if zipped is not None and len(zipped) > lambda_limits.MAX_DIRECT_UPLOAD_REQUEST:
            raise RequestEntityTooLarge(operation)

    def package(backend: Any, code: dict[str, Any]) -> bytes | None:
        if code.get("ZipFile") is not None:
            return base64.b64decode(code["ZipFile"])
        if code.get("S3Bucket") and code.get("S3Key"):
            key = _validate_s3_bucket_and_key(backend.account_id, get_partition(backend.region_name), code)
            return key.value if key is not None else None
        return None  # an image, or nothing to check

    def unzipped(archive: bytes | None) -> int:
        try:
            return lambda_limits.unzipped_size(archive) if archive else 0
        except Exception:  # not a zip: moto and the executor report that, not a size
            return 0

    def refuse_large_unzipped(backend: Any, code: bytes | None, layer_arns: list[str]) -> None:
        sizes = [unzipped(code)]
        for arn in layer_arns:
            layer = backend.layers_versions_by_arn(arn)
            sizes.append(unzipped(layer.code_bytes) if layer is not None else 0)
        message = lambda_limits.unzipped_too_large(sizes if layer_arns else sizes[:1])
        if message:
            raise InvalidParameterValueException(message)

    def arns(layers: list[Any]) -> list[str]:
        return [layer["Arn"] if isinstance(layer, dict) else layer for layer in layers]

    original_create = LambdaBackend.create_function
    original_update_code = LambdaBackend.update_function_code
    original_update_config = LambdaBackend.update_function_configuration
    original_publish_layer = LambdaBackend.publish_layer_version

    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        code = spec.get("Code") or {}
        refuse_large_request(code, "CreateFunction")
        refuse_large_unzipped(self, package(self, code), arns(spec.get("Layers") or []))
        return original_create(self, spec)

    def update_function_code(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        refuse_large_request(body, "UpdateFunctionCode")
        fn = self.get_function(function_name, qualifier)
        refuse_large_unzipped(self, package(self, body), arns(fn.layers or []))
        return original_update_code(self, function_name, qualifier, body)

    def update_function_configuration(
        self: Any, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        if body.get("Layers") is not None:
            fn = self.get_function(function_name, qualifier)
            refuse_large_unzipped(self, fn.code_bytes, arns(body["Layers"]))
        return original_update_config(self, function_name, qualifier, body)

    def publish_layer_version(self: Any, spec: dict[str, Any]) -> Any:
        content = spec.get("Content") or {}
        refuse_large_request(content, "PublishLayerVersion")
        refuse_large_unzipped(self, package(self, content), [])
        return original_publish_layer(self, spec)

    LambdaBackend.create_function = create_function  # type: ignore[method-assign]
    LambdaBackend.update_function_code = update_function_code  # type: ignore[method-assign]
    LambdaBackend.update_function_configuration = update_function_configuration  # type: ignore[method-assign]
    LambdaBackend.publish_layer_version = publish_layer_version  # type: ignore[method-assign]


def fix_openapi_import_mock_integration() -> None:
    """Imports OpenAPI operations whose ``x-amazon-apigateway-integration`` has no ``uri``/``httpMethod``.

    API Gateway's PutRestApi accepts a MOCK integration (our CORS preflight OPTIONS operations) without a
    ``uri`` and ``httpMethod``; moto's import passes only the keys present to ``put_integration``, whose
    ``uri`` and ``integration_method`` are required, and answers 500. Passing them as None (what AWS stores:
    no uri, no method for MOCK) keeps every other integration exactly as moto imports it. The type is
    upper-cased as AWS stores it (the extension's ``mock``/``aws_proxy`` read back as MOCK/AWS_PROXY).
    """
    from moto.apigateway.models import APIGatewayBackend

    # moto types uri and integration_method as str; None is what a mock integration has.
    original: Callable[..., Any] = APIGatewayBackend.put_integration

    def put_integration(
        self: Any,
        function_id: str,
        resource_id: str,
        method_type: str,
        integration_type: str,
        uri: str | None = None,
        integration_method: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        # The extension spells types in any case ("aws_proxy", "mock"); AWS stores them upper-case.
        kind = integration_type.upper() if isinstance(integration_type, str) else integration_type
        return original(
            self, function_id, resource_id, method_type, kind, uri, integration_method, *args, **kwargs
        )

    APIGatewayBackend.put_integration = put_integration  # type: ignore[method-assign]


def fix_policy_condition_on_missing_key_is_not_applicable() -> None:
    """A policy statement conditioned on a key the request does not carry does not apply (AWS's rule).

    In AWS a condition operator on a key absent from the request context evaluates to false (only
    `...IfExists` operators and `Null` say otherwise), so the statement is not applicable. moto does not
    model request context keys such as `aws:SecureTransport` and evaluates such conditions as matching, so
    the standard TLS-only statement (`Deny` when `aws:SecureTransport` is `false`) on our frontend bucket
    denies every request, Terraform's own reads included. Treating the statement as not applicable is what
    AWS decides for our callers, who all use HTTPS there.
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    original = IAMPolicyStatement.is_action_permitted

    def applies(condition: dict[str, Any], known: dict[str, str]) -> bool:
        for operator, pairs in condition.items():
            if operator.endswith("IfExists") or operator == "Null":
                continue
            if any(key not in known for key in pairs):
                return False
        return True

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        condition = self._statement.get("Condition")
        if condition and not applies(condition, incoming_condition_values or {}):
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------------
# EventBridge


def _aws_event(event: dict[str, Any]) -> dict[str, Any]:
    """moto's internal event message in the shape AWS delivers to targets (ISO time, no ingestion-time)."""
    out = {k: v for k, v in event.items() if k != "ingestion-time"}
    when = out.get("time")
    if isinstance(when, int | float):
        out["time"] = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    elif isinstance(when, datetime):
        out["time"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def _json_path(path: str, document: Any) -> Any:
    from jsonpath_ng.ext import parse

    matches = parse(path).find(document)
    return matches[0].value if matches else None


def target_input(target: dict[str, Any], event: dict[str, Any], rule_name: str, rule_arn: str) -> str:
    """The JSON text EventBridge passes to a target for ``event`` (already in AWS shape).

    AWS: ``Input`` is sent as is; ``InputPath`` sends the JSONPath result; ``InputTransformer`` fills the
    template's ``<name>`` placeholders from ``InputPathsMap`` (a quoted ``"<name>"`` takes a string value
    in place, an unquoted one the JSON value) plus the predefined ``aws.events.*`` variables; otherwise
    the whole event.
    """
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        return json.dumps(_json_path(target["InputPath"], event))
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    values = {
        name: _json_path(path, event) for name, path in (transformer.get("InputPathsMap") or {}).items()
    }
    values["aws.events.event.json"] = event
    values["aws.events.rule-name"] = rule_name
    values["aws.events.rule-arn"] = rule_arn
    values["aws.events.event.ingestion-time"] = event.get("time")
    text = str(transformer["InputTemplate"])
    for name, value in values.items():
        inline = value if isinstance(value, str) else json.dumps(value)
        text = text.replace(f'"<{name}>"', json.dumps(inline)).replace(f"<{name}>", json.dumps(value))
    return text


def _authorize_delivery(rule: Any, target: dict[str, Any], action: str) -> None:
    """IAM hook point (movers.local.iam): EventBridge delivers as the target's role when it has one, else
    as ``events.amazonaws.com`` under the target's resource policy; a denied delivery raises (and is
    dropped, as AWS drops it after its retries). A no-op when IAM is not installed."""
    from movers.local import iam

    iam.check_delivery("events.amazonaws.com", action, target["Arn"], rule.arn, target.get("RoleArn"))


def fix_events_step_functions_targets() -> None:
    """Delivers matching PutEvents events to Step Functions targets with StartExecution, as AWS does.

    AWS starts an execution of a rule's state machine target for every matching event (Standard
    workflows: a generated execution name), with the event, or the target's ``Input`` / ``InputPath`` /
    ``InputTransformer`` result, as execution input. Delivery is asynchronous to the caller: PutEvents
    succeeds even when the start fails (AWS retries, then drops or dead-letters). moto raises
    NotImplementedError for a ``states`` target, so PutEvents answers 500 and the ingest machine's Announce
    state fails. This fix starts the execution through moto's own Step Functions backend (the interpreter
    when execution is switched on) and leaves every other target type to moto.
    """
    import copy
    import logging

    from moto.events.models import Rule
    from moto.stepfunctions.responses import get_backend
    from moto.utilities.arns import parse_arn

    log = logging.getLogger("movers.local.compat")
    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        states = [t for t in self.targets if parse_arn(t["Arn"]).service == "states"]
        if not states:
            return original(self, original_event, transform_input)
        others = [t for t in self.targets if t not in states]
        if others:
            # moto's delivery on a shallow copy holding only the other targets (no shared-state mutation)
            clone = copy.copy(self)
            clone.targets = others
            original(clone, original_event, transform_input)
        if not self.event_pattern.matches_event(original_event):
            return
        event = _aws_event(original_event)
        for target in states:
            try:
                _authorize_delivery(self, target, "states:StartExecution")
                payload = target_input(target, event, self.name, self.arn)
                get_backend(self.account_id, self.region_name).start_execution(
                    target["Arn"], str(uuid.uuid4()), payload
                )
            except Exception:  # AWS drops a failed delivery; PutEvents itself still succeeds
                log.exception("EventBridge rule %s: StartExecution of %s failed", self.name, target["Arn"])

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


def fix_schedule_rules_ignore_put_events() -> None:
    """A rule with only a ScheduleExpression matches no PutEvents event, as on AWS.

    AWS triggers a scheduled rule only from its schedule; an event pattern is what matches put events.
    moto loads the absent pattern as "match everything", so every PutEvents would reach the scheduled
    rule's targets (with Step Functions delivery on, a MoverStored event would start a scheduled ingest
    machine). moto never fires schedules, so skipping the pattern match loses nothing.
    """
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.scheduled_expression and not self.event_pattern.get_pattern():
            return None
        return original(self, original_event, transform_input)

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


def fix_events_lambda_and_sns_targets() -> None:
    """Delivers matching events to Lambda and SNS targets of a rule, as AWS does.

    AWS invokes a Lambda target asynchronously (InvocationType Event) with the event, or the target's
    ``Input`` / ``InputPath`` / ``InputTransformer`` result, as payload, and publishes that same text as the
    message to an SNS target. moto raises NotImplementedError for both (PutEvents answers 500, and any target
    listed after one of them gets nothing). This fix delivers those two target types itself and leaves every
    other target to the delivery chain below it. A failed delivery is logged and dropped; PutEvents, like
    AWS's, still succeeds.
    """
    import copy
    import logging

    from moto.awslambda.models import lambda_backends
    from moto.events.models import Rule
    from moto.sns.models import sns_backends
    from moto.utilities.arns import parse_arn

    log = logging.getLogger("movers.local.compat")
    original = Rule.send_to_targets
    mine = {"lambda", "sns"}

    def deliver(rule: Any, target: dict[str, Any], payload: str) -> None:
        arn = parse_arn(target["Arn"])
        _authorize_delivery(
            rule, target, "lambda:InvokeFunction" if arn.service == "lambda" else "sns:Publish"
        )
        if arn.service == "lambda":
            fn = lambda_backends[arn.account][arn.region].get_function(target["Arn"])
            fn.invoke(payload, {"x-amz-invocation-type": "Event"}, {})
        else:
            sns_backends[arn.account][arn.region].publish(message=payload, arn=target["Arn"])

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        own = [t for t in self.targets if parse_arn(t["Arn"]).service in mine]
        if not own:
            return original(self, original_event, transform_input)
        others = [t for t in self.targets if t not in own]
        if others:
            clone = copy.copy(self)  # the rest of the chain on a copy holding only the other targets
            clone.targets = others
            original(clone, original_event, transform_input)
        if not self.event_pattern.matches_event(original_event):
            return
        event = _aws_event(original_event)
        for target in own:
            try:
                deliver(self, target, target_input(target, event, self.name, self.arn))
            except Exception:  # AWS retries, then drops (or dead-letters); PutEvents still succeeds
                log.exception("EventBridge rule %s: delivery to %s failed", self.name, target["Arn"])

    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign]


def _epoch_ms(value: Any) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, str):
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    return None


def status_change_detail(execution: Any, running: bool = False) -> dict[str, Any]:
    """The ``detail`` of AWS's "Step Functions Execution Status Change" event for a parser execution.

    ``running`` builds the start event whatever the execution's status is by now (a short execution may
    already have ended on its worker thread).
    """
    from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

    status = "RUNNING" if running or execution.exec_status is None else execution.exec_status.value
    output = None
    if status == "SUCCEEDED":
        output = to_json_str(execution.output, separators=(",", ":"))
    return {
        "executionArn": execution.exec_arn,
        "stateMachineArn": execution.state_machine_arn,
        "name": execution.name,
        "status": status,
        "startDate": _epoch_ms(execution.start_date),
        "stopDate": _epoch_ms(execution.stop_date) if status != "RUNNING" else None,
        "input": to_json_str(execution.input_data, separators=(",", ":")),
        "output": output,
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if output is not None else None,
        "error": None if status == "RUNNING" else execution.error,
        "cause": None if status == "RUNNING" else execution.cause,
    }


def fix_step_functions_status_change_events() -> None:
    """Step Functions publishes "Execution Status Change" events to the default event bus, as on AWS.

    AWS sends an event (source ``aws.states``, detail-type ``Step Functions Execution Status Change``,
    ``resources`` = [execution ARN]) to the account's default bus when a Standard execution starts
    (RUNNING) and when it ends (SUCCEEDED, FAILED, TIMED_OUT, ABORTED); ``detail`` carries executionArn,
    stateMachineArn, name, status, startDate and stopDate (epoch ms), input, output, error and cause.
    moto emits nothing, so rules on these events (our dead-letter queue and audit trail) never fire. The
    events are put through moto's own PutEvents from a separate thread, so delivery is asynchronous to
    the execution, as on AWS.
    """
    from moto.events.models import events_backends
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication, Execution

    def publish(execution: Any, running: bool = False) -> None:
        detail = status_change_detail(execution, running)
        entry = {
            "Source": "aws.states",
            "DetailType": "Step Functions Execution Status Change",
            "Detail": json.dumps(detail),
            "Resources": [execution.exec_arn],
        }
        backend = events_backends[execution.account_id][execution.region_name]

        def put() -> None:
            try:
                backend.put_events([entry])
            except Exception:  # a broken target must never break the execution itself
                import logging

                logging.getLogger("movers.local.compat").exception("status-change event not delivered")

        threading.Thread(target=put, name="sfn-status-event", daemon=True).start()

    original_start = Execution.start
    original_terminated = BaseExecutionWorkerCommunication.terminated

    def start(self: Any) -> None:
        original_start(self)
        publish(self, running=True)

    def terminated(self: Any) -> None:
        original_terminated(self)
        publish(self.execution)

    Execution.start = start  # type: ignore[method-assign]
    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]


def fix_events_task_service_errors() -> None:
    """Names a failed ``events:putEvents`` task after the EventBridge error, as AWS does.

    For an optimized integration AWS fails the Task with the service's exception name under the
    integration's prefix - ``Lambda.ServiceException``, ``DynamoDB.ProvisionedThroughputExceededException``,
    and for EventBridge ``EventBridge.<code>`` (the prefix of its documented ``EventBridge.FailedEntry``),
    e.g. ``EventBridge.InternalException`` or ``EventBridge.ThrottlingException`` - with a cause naming the
    service, status, error code and request id. Such an error is an ordinary task error that Retry and Catch
    match. moto's events integration has no such mapping (its Lambda and DynamoDB ones do): any PutEvents
    error surfaces as ``States.Runtime``, which on AWS means an unrecoverable runtime fault that no Retry or
    Catch may handle. This fix names the error exactly like moto's Lambda and DynamoDB integrations do
    theirs (``<prefix>.<error code>`` and the same cause format); FailedEntry handling is unchanged.
    """
    from botocore.exceptions import ClientError
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_events,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    StateTaskServiceEvents = state_task_service_events.StateTaskServiceEvents
    original = StateTaskServiceEvents._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
        code = ex.response["Error"]["Code"]
        meta = ex.response["ResponseMetadata"]
        details = "; ".join(
            [
                "Service: AmazonEventBridge",
                f"Status Code: {meta['HTTPStatusCode']}",
                f"Error Code: {code}",
                f"Request ID: {meta.get('RequestId', '')}",
                "Proxy: null",
            ]
        )
        error = f"EventBridge.{code}"
        return FailureEvent(
            env=env,
            error_name=CustomErrorName(error),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]  # moto's own calls look the same
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=error,
                    cause=f"{ex.response['Error']['Message']} ({details})",
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                )
            ),
        )

    StateTaskServiceEvents._from_error = _from_error  # type: ignore[method-assign]


def fix_dynamodb_requests_are_atomic() -> None:
    """Handles one DynamoDB request at a time, so each is atomic as on AWS.

    moto's TransactWriteItems deep-copies the tables it touches (to roll back on a failed condition) while
    the threaded server lets other requests write to them: under concurrent writes (the backfill's batches
    storing sessions side by side) the copy fails with "dictionary changed size during iteration" and the
    request answers HTTP 500, an error AWS never gives for it; a concurrent Query can fail the same way.
    AWS applies each request atomically; serialising moto's handling of DynamoDB requests gives exactly
    that (each takes milliseconds). Other services are unaffected. (Caveat: moto would run a DynamoDB stream
    trigger inside the write, under this lock; a triggered function writing back to DynamoDB would then wait
    for it. The project has no stream triggers.)
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def fix_s3_inventory_round_trip() -> None:
    """S3 inventory configurations read back as they were put.

    S3 returns a configuration's `IncludedObjectVersions` and its destination `Encryption` (`SSE-S3` /
    `SSE-KMS`) as given. moto answers every Get with `IncludedObjectVersions: All` and loses the
    encryption (it keeps the XML element names, which its serializer then does not find), so Terraform's
    `aws_s3_bucket_inventory` shows a change on every plan. We keep the put value and rename the two XML
    element names to the API's member names.
    """
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    original_put = S3Backend.put_bucket_inventory_configuration
    original_get = S3Response.get_bucket_inventory_configuration

    def put(self: Any, bucket_name: str, inventory_configuration: dict[str, Any]) -> Any:
        destination = (inventory_configuration.get("Destination") or {}).get("S3BucketDestination") or {}
        encryption = destination.get("Encryption")
        if isinstance(encryption, dict):
            if "SSE-S3" in encryption:
                encryption["SSES3"] = encryption.pop("SSE-S3") or {}
            if "SSE-KMS" in encryption:
                encryption["SSEKMS"] = encryption.pop("SSE-KMS") or {}
        result = original_put(self, bucket_name, inventory_configuration)
        bucket = self.get_bucket(bucket_name)
        config = bucket.inventory_configs[inventory_configuration["Id"]]
        config.movers_versions = inventory_configuration.get("IncludedObjectVersions", "All")
        return result

    def get(self: Any) -> Any:
        config = self.backend.get_bucket_inventory_configuration(
            bucket_name=self.bucket_name, id=self.querystring["id"][0]
        )
        versions = getattr(config, "movers_versions", "All")
        status, headers, body = original_get(self)
        if isinstance(body, bytes):
            body = body.replace(
                b"<IncludedObjectVersions>All</IncludedObjectVersions>",
                f"<IncludedObjectVersions>{versions}</IncludedObjectVersions>".encode(),
            )
        elif isinstance(body, str):
            body = body.replace(
                "<IncludedObjectVersions>All</IncludedObjectVersions>",
                f"<IncludedObjectVersions>{versions}</IncludedObjectVersions>",
            )
        return status, headers, body

    S3Backend.put_bucket_inventory_configuration = put  # type: ignore[method-assign]
    S3Response.get_bucket_inventory_configuration = get  # type: ignore[method-assign]


def fix_dynamodb_transaction_rollback() -> None:
    """TransactWriteItems backs up, and rolls back, only the items it names (as DynamoDB does).

    DynamoDB's transactions are atomic per item: a cancelled transaction leaves its own items as they were
    and never touches others. moto deep-copies every table a transaction names before each call (seconds and
    gigabytes per call on a table of a few thousand items), fails with "dictionary changed size during
    iteration" when another request writes the table meanwhile, and rolls back by putting the copied table
    back, which discards every other request's writes made in between. Store Day commits each day with one
    transaction, so a backfill made the local AWS grow past 10 GB. Here the table copy is skipped (the
    "copy" is the table itself, so moto's own rollback is a no-op) and the named items are restored from a
    backup of just those items. Atomicity against other requests comes from
    :func:`fix_dynamodb_requests_are_atomic`.
    """
    import copy

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    state = threading.local()

    def table_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        if getattr(state, "no_copy", False):
            return self
        return copy._reconstruct(self, memo, *self.__reduce_ex__(4))  # type: ignore[attr-defined]

    def named_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
        backups: list[tuple[str, Any, Any]] = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            if table is None:
                continue
            if "Item" in op:
                attrs = op["Item"]
                key = {a: attrs[a] for a in (table.hash_key_attr, table.range_key_attr) if a and a in attrs}
            else:
                key = op.get("Key") or {}
            try:
                current = backend.get_item(table.name, key)
            except Exception:  # noqa: S112  a malformed key: moto's own call reports it
                continue
            backups.append((table.name, key, None if current is None else current.to_json()["Attributes"]))
        return backups

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = named_items(self, transact_items)
        state.no_copy = True
        try:
            return original(self, transact_items)
        except Exception:
            for table_name, key, before in reversed(backups):
                if before is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, copy.deepcopy(before))
            raise
        finally:
            state.no_copy = False

    Table.__deepcopy__ = table_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------------
# AWS limits: Step Functions payload and history quotas, Lambda payload and environment quotas

# Step Functions: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8
# encoded string"; StartExecution's own constraint reads "less than or equal to 262144 bytes".
STATE_PAYLOAD_MAX_BYTES = 262_144
# Step Functions: "Maximum execution history size: 25,000 events"; the 25,000th event is the failure.
HISTORY_MAX_EVENTS = 25_000
HISTORY_LIMIT_CAUSE = f"The execution reached the maximum number of history events ({HISTORY_MAX_EVENTS})."
# Lambda: the Invoke request body (the event) and the function's response, synchronous invocation.
INVOKE_REQUEST_MAX_BYTES = 6_291_456
INVOKE_RESPONSE_MAX_BYTES = 6_291_556
# Lambda: "The maximum size of the variables object ... must not exceed 4096 bytes. This includes key names,
# values, quotes, commas, and brackets."
ENVIRONMENT_MAX_BYTES = 4_096


def state_payload_bytes(value: Any) -> int:
    """Bytes of a state payload as Step Functions counts them: compact JSON text, UTF-8 encoded.

    A string that is already JSON text (an execution input) is counted as given.
    """
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    # Values the interpreter holds that JSON cannot encode (datetimes from an SDK response) are text in AWS's
    # history, as in moto's own encoder.
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_as_text)
    return len(text.encode("utf-8"))


def _as_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def is_within_state_payload_quota(value: Any) -> bool:
    """Whether a state input, output or task result fits Step Functions' 256 KiB quota (262,144 allowed)."""
    return state_payload_bytes(value) <= STATE_PAYLOAD_MAX_BYTES


def fix_state_payload_size_is_counted_as_aws_counts_it() -> None:
    """Counts a state's payload as AWS does: compact UTF-8 JSON, and exactly 262,144 bytes still fits.

    moto's ``is_within_size_quota`` measures ``json.dumps`` with its default ``", "``/``": "`` separators and
    ``\\uXXXX`` escapes for every non-ASCII character, and refuses a value of exactly 256 KiB: a state that
    fits on AWS (many small keys, or non-ASCII text: six bytes per character instead of two or three) fails
    locally with States.DataLimitExceeded. AWS counts the JSON text it stores in the history (compact,
    UTF-8) against "256 KiB", inclusive. The three interpreter modules that imported the check get ours.
    """
    from moto.stepfunctions.parser import quotas
    from moto.stepfunctions.parser.asl.component.state import state
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service

    for module in (quotas, state, state_task_lambda, state_task_service):
        module.is_within_size_quota = is_within_state_payload_quota  # type: ignore[attr-defined]

    # A Task whose Resource is a function ARN has the function's response as its result; moto measures the
    # whole Invoke response around it (StatusCode, ExecutedVersion, ...), which AWS never shows the state.
    lambda_task = state_task_lambda.StateTaskLambda
    original = lambda_task._verify_size_quota

    def _verify_size_quota(self: Any, env: Any, value: Any) -> None:
        payload = value.get("Payload") if isinstance(value, dict) else value
        original(self, env, payload)

    lambda_task._verify_size_quota = _verify_size_quota  # type: ignore[method-assign]


def _data_limit_failure(env: Any, what: str) -> Exception:
    """The FailureEventException of a States.DataLimitExceeded raised by the interpreter itself."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    typ = StatesErrorNameType.StatesStatesDataLimitExceeded
    cause = (
        f"The state/task '{what}' returned a result with a size exceeding the maximum number of bytes "
        "service limit."
    )
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=typ),
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]  # moto's own calls look the same
                taskFailedEventDetails=TaskFailedEventDetails(error=typ.to_name(), cause=cause)
            ),
        )
    )


def fix_parameters_output_size_is_checked() -> None:
    """A state input made by ``Parameters`` (or a Map's ``ItemSelector``) over 256 KiB fails the state.

    AWS reports States.DataLimitExceeded "when, after Parameters processing, the input of a state is larger
    than the payload size quota" - so a Task whose Parameters build an oversized request, or a Map
    iteration whose ItemSelector builds an oversized item, fails before anything is called. moto checks
    only results and state outputs, so such a state would run locally. We check the value each of the two
    components leaves on the stack.
    """
    from moto.stepfunctions.parser.asl.component.common.parargs import Parargs
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.item_selector import ItemSelector

    def checked(original: Callable[[Any, Any], None], label: str) -> Callable[[Any, Any], None]:
        def _eval_body(self: Any, env: Any) -> None:
            original(self, env)
            if env.stack and not is_within_state_payload_quota(env.stack[-1]):
                raise _data_limit_failure(env, env.next_state_name or label)

        return _eval_body

    Parargs._eval_body = checked(Parargs._eval_body, "Parameters")  # type: ignore[method-assign,assignment]
    ItemSelector._eval_body = checked(ItemSelector._eval_body, "ItemSelector")  # type: ignore[method-assign,assignment]


def fix_execution_input_size_is_validated() -> None:
    """StartExecution refuses an input over 262,144 UTF-8 bytes with AWS's ValidationException.

    AWS validates the request before looking the state machine up: ``ValidationException`` "1 validation
    error detected: Value at 'input' failed to satisfy constraint: Member must have size less than or equal
    to 262144 bytes in UTF-8 encoding" (the value itself is sensitive and not echoed). moto accepts any size,
    so the first state would fail later, or not at all.
    """
    from moto.stepfunctions.exceptions import ValidationException
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.start_execution

    def start_execution(self: Any) -> Any:
        execution_input = self._get_param("input")
        if (
            isinstance(execution_input, str)
            and state_payload_bytes(execution_input) > STATE_PAYLOAD_MAX_BYTES
        ):
            raise ValidationException(
                "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must "
                f"have size less than or equal to {STATE_PAYLOAD_MAX_BYTES} bytes in UTF-8 encoding"
            )
        return original(self)

    StepFunctionResponse.start_execution = start_execution  # type: ignore[method-assign]


def fix_states_all_does_not_catch_terminal_errors() -> None:
    """``States.ALL`` matches neither States.DataLimitExceeded nor States.Runtime, as AWS documents.

    AWS: "The States.ALL error type ... can't catch the States.DataLimitExceeded terminal error or Runtime
    error types." moto's ``States.ALL`` matches every error, so a machine whose Catch sends everything to a
    handler (ours do) would turn an oversized payload or a history overflow into a handled path locally,
    while on AWS the execution fails at once. Naming either error explicitly still matches.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    terminal = [
        StatesErrorName(typ=StatesErrorNameType.StatesStatesDataLimitExceeded),
        StatesErrorName(typ=StatesErrorNameType.StatesRuntime),
    ]
    every = StatesErrorName(typ=StatesErrorNameType.StatesALL)
    original = ErrorEqualsDecl._eval_body

    def _eval_body(self: Any, env: Any) -> None:
        error_name = env.stack[-1]
        if every in self.error_names and error_name in terminal:
            env.stack.pop()
            env.stack.append(False)
            return
        original(self, env)

    ErrorEqualsDecl._eval_body = _eval_body  # type: ignore[method-assign]


class HistoryLimitReached(Exception):
    """Raised inside the interpreter when an execution would record its 25,001st event."""


def fix_execution_history_limit() -> None:
    """An execution that reaches 25,000 history events fails, the 25,000th event being the failure.

    AWS ends such an execution itself: event 25,000 is ``ExecutionFailed`` with error ``States.Runtime`` and
    cause "The execution reached the maximum number of history events (25000).", its previousEventId the
    last real event (24,999). No Catch handles it and the execution stops at once. moto records events
    without limit. We let the 25,000th event through only when it is the execution's own end; any other
    event in that place is replaced by the failure, the execution is put into the error state (every Map
    iteration and branch stops) and nothing more is recorded.
    """
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    ends = {
        HistoryEventType.ExecutionSucceeded,
        HistoryEventType.ExecutionFailed,
        HistoryEventType.ExecutionAborted,
        HistoryEventType.ExecutionTimedOut,
    }
    original_init = EventManager.__init__
    original_add = EventManager.add_event
    original_env = ExecutionWorker._get_evaluation_environment

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # Reentrant, so the check below and moto's numbering of the event happen under one hold of the lock
        # (parallel Map iterations add events concurrently).
        self._mutex = threading.RLock()

    def add_event(self: Any, context: Any, event_type: Any, *args: Any, **kwargs: Any) -> int:
        with self._mutex:
            if getattr(self, "movers_capped", False):
                return HISTORY_MAX_EVENTS  # the execution has ended: nothing more is recorded
            if self._event_id_gen._next_id < HISTORY_MAX_EVENTS or event_type in ends:
                return int(original_add(self, context, event_type, *args, **kwargs))
            self.movers_capped = True
            details = ExecutionFailedEventDetails(error="States.Runtime", cause=HISTORY_LIMIT_CAUSE)
            last = EventHistoryContext(previous_event_id=self._event_id_gen._next_id - 1)
            failed = EventDetails(executionFailedEventDetails=details)  # type: ignore[typeddict-item]
            original_add(self, last, HistoryEventType.ExecutionFailed, failed)
        root = getattr(self, "movers_root_env", None)
        if root is not None:
            root.set_error(error=details)
            # The unwinding that follows must not overwrite AWS's error with its own (moto's program loop
            # would record "HistoryLimitReached(...)" as the cause).
            root.set_error = lambda error: None
        raise HistoryLimitReached(HISTORY_LIMIT_CAUSE)

    def _get_evaluation_environment(self: Any) -> Any:
        env = original_env(self)
        env.event_manager.movers_root_env = env  # type: ignore[attr-defined]  # read by add_event above
        return env

    EventManager.__init__ = __init__  # type: ignore[method-assign]
    EventManager.add_event = add_event  # type: ignore[method-assign]
    ExecutionWorker._get_evaluation_environment = _get_evaluation_environment  # type: ignore[method-assign]


def fix_execution_history_paging() -> None:
    """GetExecutionHistory pages as AWS does: ``maxResults`` (default 100, at most 1000), ``nextToken``,
    ``reverseOrder``.

    moto returns every event in one answer whatever is asked, so a caller that forgets to follow
    ``nextToken`` works locally and silently loses events on AWS, and reading the newest events of a long
    history (``reverseOrder=True, maxResults=1``) serialises all of it (about 27 s for 25,000 events).
    """
    import copy

    from moto.core.responses import ActionResult
    from moto.stepfunctions.exceptions import InvalidToken, ValidationException
    from moto.stepfunctions.responses import StepFunctionResponse

    original = StepFunctionResponse.get_execution_history

    def get_execution_history(self: Any) -> Any:
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        manager = getattr(
            getattr(getattr(execution, "exec_worker", None), "env", None), "event_manager", None
        )
        if manager is None:
            return original(self)
        limit = self._get_int_param("maxResults") or 100
        if not 0 < limit <= 1000:
            raise ValidationException(
                f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy constraint: "
                "Member must have value less than or equal to 1000"
            )
        token = self._get_param("nextToken")
        try:
            start = int(token) if token else 0
        except ValueError:
            raise InvalidToken(f"Invalid Token: '{token}'") from None
        with manager._mutex:
            events = list(manager._history_event_list)
        if self._get_param("reverseOrder"):
            events.reverse()
        page = copy.deepcopy(events[start : start + limit])
        body: dict[str, Any] = {"events": page}
        if start + limit < len(events):
            body["nextToken"] = str(start + limit)
        return ActionResult(body)

    StepFunctionResponse.get_execution_history = get_execution_history  # type: ignore[method-assign]


def environment_bytes(variables: dict[str, str] | None) -> tuple[int, str]:
    """Lambda's measure of a function's environment: the compact JSON object of its variables, UTF-8."""
    text = json.dumps(variables or {}, separators=(",", ":"), ensure_ascii=False)
    return len(text.encode("utf-8")), text


def fix_lambda_environment_size_limit() -> None:
    """CreateFunction and UpdateFunctionConfiguration refuse variables over 4 KB, as Lambda does.

    Lambda measures the variables object as JSON ("key names, values, quotes, commas, and brackets") and
    refuses more than 4,096 bytes with ``InvalidParameterValueException`` "Lambda was unable to configure
    your environment variables because the environment variables you have provided exceeded the 4KB
    limit. String measured: {...}". moto stores any size, so a deploy that Lambda refuses applies locally.
    """
    from moto.awslambda.exceptions import InvalidParameterValueException
    from moto.awslambda.models import LambdaBackend

    def check(spec: dict[str, Any]) -> None:
        environment = spec.get("Environment")
        if not isinstance(environment, dict) or environment.get("Variables") is None:
            return
        size, text = environment_bytes(environment["Variables"])
        if size > ENVIRONMENT_MAX_BYTES:
            raise InvalidParameterValueException(
                "Lambda was unable to configure your environment variables because the environment variables "
                f"you have provided exceeded the 4KB limit. String measured: {text}"
            )

    original_create = LambdaBackend.create_function
    original_update = LambdaBackend.update_function_configuration

    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        check(spec)
        return original_create(self, spec)

    def update_function_configuration(
        self: Any, function_name: str, qualifier: str, body: dict[str, Any]
    ) -> Any:
        check(body)
        return original_update(self, function_name, qualifier, body)

    LambdaBackend.create_function = create_function  # type: ignore[method-assign]
    LambdaBackend.update_function_configuration = update_function_configuration  # type: ignore[method-assign]


def fix_lambda_invoke_payload_limits() -> None:
    """Invoke refuses an event over 6,291,456 bytes and keeps responses up to Lambda's 6,291,556 bytes.

    Lambda answers a synchronous Invoke whose body exceeds 6 MiB with HTTP 413 ``RequestTooLargeException``
    "Request must be smaller than 6291456 bytes for the InvokeFunction operation", before running anything;
    moto runs it. For the response, moto's handler swaps any payload whose ``sys.getsizeof`` (length plus
    object overhead) exceeds 6,000,000 for the ``Function.ResponseSizeTooLarge`` error, so responses Lambda
    returns (up to 6,291,556 bytes) fail locally. The executor applies the response limit at Lambda's figure
    on every invoke path (:func:`movers.local.executor.limit_response`), so this handler, moto's own minus
    that check, leaves the response as the executor made it.
    """
    from urllib.parse import unquote

    from moto.awslambda.responses import LambdaResponse
    from moto.core.exceptions import JsonRESTError
    from moto.utilities.aws_headers import amz_crc32

    class RequestTooLargeException(JsonRESTError):
        code = 413

        def __init__(self) -> None:
            super().__init__(
                "RequestTooLargeException",
                f"Request must be smaller than {INVOKE_REQUEST_MAX_BYTES} bytes for the InvokeFunction "
                "operation",
            )

    @amz_crc32
    def invoke(self: Any) -> Any:
        invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        body = self.body if isinstance(self.body, bytes) else (self.body or "").encode("utf-8")
        if invocation_type == "RequestResponse" and len(body) > INVOKE_REQUEST_MAX_BYTES:
            raise RequestTooLargeException()
        response_headers: dict[str, Any] = {}
        function_name = unquote(self.path.rsplit("/", 2)[-2])
        qualifier = self._get_param("qualifier")
        payload = self.backend.invoke(function_name, qualifier, self.body, self.headers, response_headers)
        if payload is None:
            return 404, response_headers, "{}"
        response_headers["content-type"] = "application/json"
        if invocation_type == "Event":
            response_headers["status"] = "202"
            return 202, response_headers, payload
        if invocation_type == "DryRun":
            response_headers["status"] = "204"
            return 204, response_headers, payload
        if self.headers.get("X-Amz-Log-Type") != "Tail":
            response_headers.pop("x-amz-log-result", None)
        return 200, response_headers, payload

    LambdaResponse.invoke = invoke  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------------
# Step Functions Local's mock configuration

MOCK_CONFIG_ENV = "SFN_MOCK_CONFIG"  # the variable Step Functions Local reads the file's path from


class MockConfigError(ValueError):
    """A mock configuration file, test case or mocked response that Step Functions Local would not accept."""


def _mocked_response(name: str, raw: Any) -> list[Any]:
    """One MockedResponses entry ({"0": {"Return": ...}, "1-2": {"Throw": ...}}) as moto's responses."""
    from moto.stepfunctions.parser.mocking.mock_config import (
        MockedResponseReturn,
        MockedResponseThrow,
        _parse_mocked_response_range,
    )

    if not isinstance(raw, dict) or not raw:
        raise MockConfigError(f"mocked response {name!r} must be an object of numbered responses")
    responses: list[Any] = []
    for key, entry in raw.items():
        try:
            start, end = _parse_mocked_response_range(key)
        except RuntimeError as exc:
            raise MockConfigError(f"mocked response {name!r}: {exc}") from None
        if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in ("Return", "Throw"):
            raise MockConfigError(
                f"mocked response {name!r}[{key!r}] must hold exactly one of Return or Throw"
            )
        if "Return" in entry:
            responses.append(MockedResponseReturn(start, end, entry["Return"]))
            continue
        throw = entry["Throw"]
        if not isinstance(throw, dict) or not isinstance(throw.get("Error"), str):
            raise MockConfigError(f"mocked response {name!r}[{key!r}].Throw needs a string Error")
        responses.append(MockedResponseThrow(start, end, throw["Error"], str(throw.get("Cause", ""))))
    return responses


def load_mock_test_case(config: Any, state_machine_name: str, test_case_name: str) -> Any:
    """Builds moto's ``MockTestCase`` for one test case of a parsed Step Functions Local mock configuration.

    The format is Step Functions Local's: ``StateMachines.<name>.TestCases.<case>`` maps state names to
    mocked response names; ``MockedResponses.<name>`` maps attempt numbers ("0", "1-2") to a ``Return``
    (the service's response) or a ``Throw`` (``Error``, ``Cause``), numbered consecutively from 0.
    """
    from moto.stepfunctions.parser.mocking.mock_config import MockTestCase, StateMockedResponses

    if not isinstance(config, dict):
        raise MockConfigError("the mock configuration must be a JSON object")
    machine = (config.get("StateMachines") or {}).get(state_machine_name)
    if not isinstance(machine, dict):
        raise MockConfigError(f"no state machine {state_machine_name!r} in the mock configuration")
    case = (machine.get("TestCases") or {}).get(test_case_name)
    if not isinstance(case, dict):
        raise MockConfigError(f"no test case {test_case_name!r} for state machine {state_machine_name!r}")
    mocked = config.get("MockedResponses") or {}
    states = []
    for state_name, response_name in case.items():
        if response_name not in mocked:
            raise MockConfigError(
                f"test case {test_case_name!r} names an unknown mocked response {response_name!r}"
            )
        try:
            states.append(
                StateMockedResponses(
                    state_name, response_name, _mocked_response(response_name, mocked[response_name])
                )
            )
        except (RuntimeError, ValueError) as exc:
            raise MockConfigError(str(exc)) from None
    return MockTestCase(state_machine_name, test_case_name, states)


def fix_step_functions_local_mock_config() -> None:
    """Runs ``StartExecution`` on ``<stateMachineArn>#<TestCase>`` with that test case's mocked responses.

    AWS Step Functions Local reads a mock configuration file (path in ``SFN_MOCK_CONFIG``) and, when an
    execution is started on ``stateMachineArn#TestCaseName``, answers each Task state named in the test case
    with its mocked responses instead of calling the service: the n-th invocation of the state (a retry or
    a re-entry, see :func:`fix_mocked_responses_count_invocations`) gets response n, a ``Throw`` fails the
    attempt with that error so Retry and Catch run as for a real failure. moto ships this machinery
    (``parser/mocking``, consulted by every Task) but its server never loads a file or passes a test case
    to an execution. We read the file at each such start (so it
    may change between runs), refuse an unknown test case with ``InvalidName`` as moto's provider does,
    and hand the test case to the execution's worker. Executions started without ``#`` are unaffected.
    """
    from moto.stepfunctions.exceptions import InvalidName
    from moto.stepfunctions.parser.backend.execution import Execution
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    pending = threading.local()
    original_start = StepFunctionsParserBackend.start_execution
    original_worker = Execution._get_start_execution_worker

    def load(machine_arn: str, case_name: str, backend: Any) -> Any:
        name = backend.describe_state_machine(machine_arn).name
        path = os.environ.get(MOCK_CONFIG_ENV)
        if not path:
            raise InvalidName(f"Invalid mock test case name '{case_name}': {MOCK_CONFIG_ENV} is not set.")
        try:
            with open(path, encoding="utf-8") as handle:
                config = json.load(handle)
            return load_mock_test_case(config, name, case_name)
        except (OSError, ValueError) as exc:  # MockConfigError and JSONDecodeError are ValueErrors
            raise InvalidName(
                f"Invalid mock test case name '{case_name}' for state machine '{name}': {exc}"
            ) from None

    def start_execution(self: Any, state_machine_arn: str, *args: Any, **kwargs: Any) -> Any:
        if "#" not in (state_machine_arn or ""):
            return original_start(self, state_machine_arn, *args, **kwargs)
        machine_arn, case_name = state_machine_arn.split("#", 1)
        pending.case = load(machine_arn, case_name, self)
        try:
            return original_start(self, machine_arn, *args, **kwargs)
        finally:
            pending.case = None

    def _get_start_execution_worker(self: Any) -> Any:
        worker = original_worker(self)
        case = getattr(pending, "case", None)
        if case is not None:
            worker._mock_test_case = case  # type: ignore[misc]  # read when the worker builds its environment
        return worker

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]
    Execution._get_start_execution_worker = _get_start_execution_worker  # type: ignore[method-assign]


def fix_mocked_responses_count_invocations() -> None:
    """A mocked Task state gets its next mocked response on every invocation, as Step Functions Local does.

    Step Functions Local answers the n-th invocation of a mocked state (in the execution) with response n,
    whether it is a retry or the state entered again by a loop (a Wait loop re-entering a fetch gets "Wait",
    then the answer). moto indexes by ``$$.State.RetryCount``, which restarts at 0 on every entry, so a
    state re-entered by a loop got response 0 for ever. We count invocations per state on the execution's
    test case (one object per execution, shared by its Map iterations); a retried state counts exactly as
    before, and responses run out with moto's own error.
    """
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    lock = threading.Lock()

    def get_current_mocked_response(self: Any) -> Any:
        if not self.is_mocked_mode():
            raise RuntimeError("Cannot retrieve mocked response: execution is not operating in mocked mode")
        case = self.mock_test_case
        state_name = self.next_state_name
        responses = case.state_mocked_responses[state_name].mocked_responses
        with lock:
            counts = case.__dict__.setdefault("_movers_invocations", {})
            invocation = counts.get(state_name, 0)
            counts[state_name] = invocation + 1
        if invocation >= len(responses):
            raise RuntimeError(
                f"No mocked response definition for state '{state_name}' and invocation '{invocation}'"
            )
        return responses[invocation]

    Environment.get_current_mocked_response = get_current_mocked_response  # type: ignore[method-assign]


def fix_dynamodb_task_keeps_its_failure() -> None:
    """A DynamoDB service-integration Task fails with the error it raised (a mocked ``Throw`` included).

    moto's DynamoDB integration (``arn:aws:states:::dynamodb:*``) maps every exception that is not a boto
    ClientError to ``DynamoDB.AmazonDynamoDBException`` with an empty cause, unlike its other integrations,
    which pass an already-built failure through. A mocked response's ``Throw``
    (``DynamoDB.ConditionalCheckFailedException``, a throttling error) is such a failure, so a mock
    configuration could never take the Retry or Catch clause naming the real error. We pass it through.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb import (  # noqa: E501
        StateTaskServiceDynamoDB,
    )

    original = StateTaskServiceDynamoDB._from_error

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if isinstance(ex, FailureEventException):
            return ex.failure_event
        return original(self, env, ex)

    StateTaskServiceDynamoDB._from_error = _from_error  # type: ignore[method-assign]


def fix_step_functions_task_speaks_the_api_shapes() -> None:
    """A ``states:startExecution`` Task (``arn:aws:states:::states:*``) calls the API with its parameters.

    AWS takes the Task's parameters in the API's own casing (``StateMachineArn``, ``Name``, ``Input``) and
    answers the API's output members in the same casing (``ExecutionArn``, ``StartDate`` as epoch
    milliseconds, the form AWS's task outputs show). moto's vendored
    interpreter stubs out the step that maps them onto boto3's names (``stateMachineArn``, ...), so every
    such Task failed with ``States.Runtime`` "Unknown parameter in input: Input", and its ``.sync`` variants
    read an ``ExecutionArn`` that was never there. We map both ways through the service model, as the
    interpreter does for its other integrations; errors keep moto's ``StepFunctions.<Code>Exception`` names.
    """
    import botocore.session
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    model = botocore.session.get_session().get_service_model("stepfunctions")
    original = StateTaskServiceSfn._eval_service_task

    def _eval_service_task(
        self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> None:
        action = self.resource.api_action
        operation = model.operation_model(action[:1].upper() + action[1:])
        self._to_boto_request(normalised_parameters, operation.input_shape)
        original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        response = env.stack[-1]
        self._from_boto_response(response, operation.output_shape)
        for key, value in list(response.items()):
            if isinstance(value, datetime):  # boto3 parsed the timestamp; state data is JSON
                response[key] = int(value.timestamp() * 1000)

    StateTaskServiceSfn._eval_service_task = _eval_service_task  # type: ignore[method-assign]


FIXES: list[Callable[[], None]] = [
    fix_time_scale,
    fix_json_path_parse_is_cached,
    fix_validate_state_machine_definition,
    fix_list_state_machine_versions,
    fix_execution_start_time,
    fix_execution_name_and_output,
    fix_lambda_stored_config,
    fix_lambda_code_size_limits,
    fix_openapi_import_mock_integration,
    fix_policy_condition_on_missing_key_is_not_applicable,
    fix_s3_inventory_round_trip,
    fix_dynamodb_requests_are_atomic,
    fix_events_step_functions_targets,
    fix_schedule_rules_ignore_put_events,
    fix_events_lambda_and_sns_targets,
    fix_step_functions_status_change_events,
    fix_events_task_service_errors,
    fix_dynamodb_transaction_rollback,
    fix_state_payload_size_is_counted_as_aws_counts_it,
    fix_parameters_output_size_is_checked,
    fix_execution_input_size_is_validated,
    fix_states_all_does_not_catch_terminal_errors,
    fix_execution_history_limit,
    fix_execution_history_paging,
    fix_lambda_environment_size_limit,
    fix_lambda_invoke_payload_limits,
    fix_step_functions_local_mock_config,
    fix_mocked_responses_count_invocations,
    fix_dynamodb_task_keeps_its_failure,
    fix_start_execution_on_version_or_alias,
    fix_lambda_invoke_qualifier_parameter,
    fix_step_functions_task_speaks_the_api_shapes,
]


def apply(time_scale: float | None = None) -> None:
    """Applies every fix once per process; sets the time scale from the argument or ``MOVERS_TIME_SCALE``."""
    global _applied
    scale = time_scale if time_scale is not None else float(os.environ.get("MOVERS_TIME_SCALE", "1.0"))
    set_time_scale(scale)
    with _lock:
        if _applied:
            return
        for fix in FIXES:
            fix()
        _applied = True
