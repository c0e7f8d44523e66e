"""Step Functions Local's mock configuration (``SFN_MOCK_CONFIG``, ``stateMachineArn#TestCase``), wired into
moto's interpreter, which ships the mocking code but never loads a file.

Part of :mod:`movers.local.compat` (see its docstring); each fix is tested in ``tests/local``.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

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
