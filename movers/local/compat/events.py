"""EventBridge: rule targets (Step Functions, Lambda, SNS) and schedule-only rules.

Part of :mod:`movers.local.compat` (see its docstring); each fix is tested in ``tests/local``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any


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


def fix_disabled_rules_deliver_nothing() -> None:
    """A DISABLED rule delivers no event to its targets, as on AWS.

    AWS matches events only against enabled rules (DisableRule is how an operator pauses a rule without
    deleting it). moto's PutEvents sends every event to every rule of the bus whatever its state, so a
    disabled MoverStored rule would still start the daily analysis. Installed outermost on the delivery
    chain, so no target type of a disabled rule is reached.
    """
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.state == "DISABLED":
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
