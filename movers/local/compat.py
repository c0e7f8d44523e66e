"""Every fix this project applies to moto, in one place; :func:`apply` installs them all (idempotent).

Each fix is a small function whose docstring says what AWS does and why the fix is faithful. They exist only
where moto lacks or mis-implements an API that Terraform's AWS provider or our state machines use. Each has
a test in ``tests/local/test_compat.py``.

Environment: ``MOVERS_TIME_SCALE`` (float, default 1.0) scales every Wait state and Retry interval sleep
(Step Functions Local calls the same knob WAIT_TIME_SCALE); history timestamps stay real.
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


_dynamodb_writes = threading.RLock()
DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")


def fix_dynamodb_concurrent_transactions() -> None:
    """DynamoDB writes are serialized, so concurrent TransactWriteItems succeed as on AWS.

    Why: moto's TransactWriteItems deep-copies the tables (its rollback copy) while the server's other
    threads write to them, and the copy raises "dictionary changed size during iteration": an HTTP 500 that
    the backfill's concurrent Store Day calls met (AWS isolates transactions; it never answers 500 for this).
    """
    from moto.dynamodb.models import DynamoDBBackend

    for name in DYNAMODB_WRITES:
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_movers_serialized", False):
            continue

        def serialized(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with _dynamodb_writes:
                return _original(self, *args, **kwargs)

        serialized._movers_serialized = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, serialized)


FIXES: list[Callable[[], None]] = [
    fix_time_scale,
    fix_validate_state_machine_definition,
    fix_list_state_machine_versions,
    fix_execution_start_time,
    fix_execution_name_and_output,
    fix_lambda_stored_config,
    fix_openapi_import_mock_integration,
    fix_policy_condition_on_missing_key_is_not_applicable,
    fix_s3_inventory_round_trip,
    fix_events_step_functions_targets,
    fix_schedule_rules_ignore_put_events,
    fix_events_lambda_and_sns_targets,
    fix_step_functions_status_change_events,
    fix_events_task_service_errors,
    fix_dynamodb_concurrent_transactions,
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
