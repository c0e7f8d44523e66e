"""Step Functions: moto's API and its vendored interpreter (definitions, versions and aliases, executions,
time scale, service-integration Tasks, status-change events) and AWS's payload and history quotas.

Part of :mod:`movers.local.compat` (see its docstring); each fix is tested in ``tests/local``.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

_time_scale = 1.0


class DefinitionError(ValueError):
    """An ASL definition that AWS would refuse, with AWS-style diagnostics."""

    def __init__(self, diagnostics: list[dict[str, str]]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0]
        super().__init__(f"{first['code']}: {first['message']} at {first['location']}")


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


# Step Functions: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a UTF-8
# encoded string"; StartExecution's own constraint reads "less than or equal to 262144 bytes".
STATE_PAYLOAD_MAX_BYTES = 262_144

# Step Functions: "Maximum execution history size: 25,000 events"; the 25,000th event is the failure.
HISTORY_MAX_EVENTS = 25_000

HISTORY_LIMIT_CAUSE = f"The execution reached the maximum number of history events ({HISTORY_MAX_EVENTS})."


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
