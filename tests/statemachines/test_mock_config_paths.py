"""Every Retry and Catch clause of the backfill and daily-analysis machines, taken by a mock-config test case.

The test cases live in ``mock-config.json`` in AWS Step Functions Local's format: each case answers every Task
state of a machine with mocked responses, a ``Throw`` standing for a failed attempt. From the machine
definitions (read from ``statemachines/``, so a merge that adds a clause shows here) and the file, this
module predicts for each case which clauses its failures take and how the execution ends; the meta-test
fails when a clause is taken by no case, and the execution test runs each case and checks the history
against the prediction: the number of failed attempts, the state the Catch routed to, the final status and
error.

One rule keeps the prediction exact: a case makes at most one state throw (so the throwing state is always
reached). Map iterations get one item, so responses counted per iteration (moto) and per state (Step
Functions Local) agree.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from movers.local.compat import MockConfigError, load_mock_test_case
from tests.statemachines.machines import MACHINES, machine, mock_config

INPUTS = {
    "Backfill": '{"from": "2024-01-02", "to": "2024-01-03"}',
    "DailyAnalysis": '{"date": "2024-01-03"}',
}
TERMINAL = {"States.DataLimitExceeded", "States.Runtime"}  # never matched by States.ALL (AWS)


def _handles(error_equals: list[str], error: str) -> bool:
    """Whether a clause matches an error (ALL: all but terminal errors; TaskFailed: all but States.*)."""
    return (
        error in error_equals
        or ("States.ALL" in error_equals and error not in TERMINAL)
        or ("States.TaskFailed" in error_equals and not error.startswith("States."))
    )


@dataclass
class Scope:
    """A Task state with the chain of states whose Catch an escaping error meets (itself, then its Map)."""

    state: dict[str, Any]
    catchers: list[tuple[str, dict[str, Any]]]


def _states(
    definition: dict[str, Any],
) -> Iterator[tuple[str, dict[str, Any], list[tuple[str, dict[str, Any]]]]]:
    """Every state (Map processors included) with the enclosing states, innermost first."""

    def walk(states: dict[str, Any], outer: list[tuple[str, dict[str, Any]]]):
        for name, state in states.items():
            yield name, state, outer
            for nested in ("ItemProcessor", "Iterator"):
                if nested in state:
                    yield from walk(state[nested]["States"], [(name, state), *outer])
            for branch in state.get("Branches", []):
                yield from walk(branch["States"], [(name, state), *outer])

    yield from walk(definition["States"], [])


def clauses(definition: dict[str, Any]) -> list[tuple[str, str, int]]:
    """Every (kind, state, index) Retry and Catch clause of a machine."""
    out = []
    for name, state, _ in _states(definition):
        out += [("Retry", name, i) for i in range(len(state.get("Retry", [])))]
        out += [("Catch", name, i) for i in range(len(state.get("Catch", [])))]
    return out


def tasks(definition: dict[str, Any]) -> dict[str, Scope]:
    return {
        name: Scope(state, [(name, state), *outer])
        for name, state, outer in _states(definition)
        if state.get("Type") == "Task"
    }


def responses(config: dict[str, Any], response_name: str) -> list[dict[str, Any]]:
    """A mocked response's attempts in order ("0", "1-2", ... expanded)."""
    attempts: dict[int, dict[str, Any]] = {}
    for key, entry in config["MockedResponses"][response_name].items():
        first, _, last = key.partition("-")
        for n in range(int(first), int(last or first) + 1):
            attempts[n] = entry
    assert sorted(attempts) == list(range(len(attempts))), (
        f"{response_name}: attempts must be numbered from 0"
    )
    return [attempts[n] for n in range(len(attempts))]


@dataclass
class Prediction:
    taken: set[tuple[str, str, int]] = field(default_factory=set)
    failed_attempts: int = 0
    error: str | None = None  # the error that escaped the Task, if any
    caught_by: str | None = None  # the state whose Catch handled it
    next_state: str | None = None  # where that Catch went
    status: str = "SUCCEEDED"


def predict(name: str, case: str) -> Prediction:
    """What a test case does to its machine, from the definition and the mocked responses alone."""
    definition, config = machine(name), mock_config()
    mocked: dict[str, str] = config["StateMachines"][name]["TestCases"][case]
    scopes = tasks(definition)
    throwing = [s for s, r in mocked.items() if any("Throw" in a for a in responses(config, r))]
    assert len(throwing) <= 1, f"{name}#{case}: more than one state throws ({throwing}); split the case"
    result = Prediction()
    if not throwing:
        return result
    state_name = throwing[0]
    scope = scopes[state_name]
    retriers = scope.state.get("Retry", [])
    used = [0] * len(retriers)
    for attempt in responses(config, mocked[state_name]):
        if "Return" in attempt:
            return result
        error = attempt["Throw"]["Error"]
        result.failed_attempts += 1
        index = next((i for i, r in enumerate(retriers) if _handles(r["ErrorEquals"], error)), None)
        if index is not None and used[index] < retriers[index].get("MaxAttempts", 3):
            used[index] += 1
            result.taken.add(("Retry", state_name, index))
            continue
        result.error, result.status = error, "FAILED"
        for catcher_name, catcher in scope.catchers:
            catches = catcher.get("Catch", [])
            hit = next((i for i, c in enumerate(catches) if _handles(c["ErrorEquals"], error)), None)
            if hit is not None:
                result.taken.add(("Catch", catcher_name, hit))
                result.caught_by, result.next_state = catcher_name, catches[hit]["Next"]
                break
        return result
    raise AssertionError(f"{name}#{case}: {state_name} runs out of mocked responses")


def cases() -> list[tuple[str, str]]:
    config = mock_config()
    return [(name, case) for name in MACHINES for case in config["StateMachines"][name]["TestCases"]]


# --------------------------------------------------------------------------------------------------
# The meta-tests: static, no AWS needed


@pytest.mark.parametrize("name", list(MACHINES))
def test_every_retry_and_catch_of_the_machine_is_covered(name):
    # Given the machine as it is in statemachines/ and its test cases in mock-config.json, every Retry and
    # Catch clause is taken by at least one case (the first clause of its kind matching the error, as AWS
    # picks), so a clause added by a merge fails here until a case takes it.
    definition = machine(name)
    all_clauses = clauses(definition)
    assert all_clauses, "no Retry/Catch found: did the definition move?"
    taken: set[tuple[str, str, int]] = set()
    for machine_name, case in cases():
        if machine_name == name:
            taken |= predict(name, case).taken
    missing = [c for c in all_clauses if c not in taken]
    described = [(k, s, definition_clause(definition, k, s, i)) for k, s, i in missing]
    assert not missing, f"{name}: Retry/Catch clauses no mock-config test case takes: {described}"


def definition_clause(definition: dict[str, Any], kind: str, state: str, index: int) -> list[str]:
    found = next(s for n, s, _ in _states(definition) if n == state)
    return list(found[kind][index]["ErrorEquals"])


@pytest.mark.parametrize("name", list(MACHINES))
def test_every_case_mocks_every_task_of_its_machine(name):
    # Given a test case, every Task state of the machine has mocked responses (so no case ever calls a real
    # service, here or on Step Functions Local) and every state it names exists in the machine.
    task_names = set(tasks(machine(name)))
    for case, mocked in mock_config()["StateMachines"][name]["TestCases"].items():
        assert set(mocked) == task_names, (
            f"{name}#{case}: mocks {sorted(mocked)}, tasks are {sorted(task_names)}"
        )


def test_the_prediction_sees_exhausted_retries_and_the_enclosing_maps_catch():
    # Given the case whose fetch fails on every attempt (1 + 3 retries) inside the Fetch Ranges Map, the
    # prediction counts four failures, the Retry clause, and the Map's Catch routing to Backfill Failed.
    p = predict("Backfill", "FetchRetriesExhaustedFails")
    assert p.failed_attempts == 4
    assert ("Retry", "Fetch Range", 2) in p.taken and ("Catch", "Fetch Ranges", 0) in p.taken
    assert (p.status, p.error, p.next_state) == ("FAILED", "Lambda.ServiceException", "Backfill Failed")


# --------------------------------------------------------------------------------------------------
# The executions: each case on the local AWS (or Step Functions Local)


def _wait(sfn: Any, execution_arn: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.05)
    raise AssertionError(f"{execution_arn} still running after {timeout_s}s")


@pytest.mark.parametrize(("name", "case"), cases())
def test_the_case_runs_as_predicted(
    sfn, machine_arns, history: Callable[[str], list[dict[str, Any]]], name, case
):
    # Given the machine started on `arn#case` (Step Functions Local's test case selection), when it ends,
    # then the history shows the predicted failed attempts (each retried by the Retry clause, or the last
    # caught), the Catch's target entered, and the predicted status and error.
    expected = predict(name, case)
    started = sfn.start_execution(
        stateMachineArn=f"{machine_arns[name]}#{case}",
        name=f"{case}-{uuid.uuid4().hex[:8]}",
        input=INPUTS[name],
    )
    described = _wait(sfn, started["executionArn"])
    events = history(started["executionArn"])
    failures = [e for e in events if e["type"] == "TaskFailed"]
    assert len(failures) == expected.failed_attempts, [e["taskFailedEventDetails"] for e in failures]
    assert described["status"] == expected.status, described.get("cause")
    if expected.status == "FAILED":
        assert described["error"] == expected.error
        assert failures[-1]["taskFailedEventDetails"]["error"] == expected.error
        entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
        assert entered[-1] == expected.next_state, entered
    else:
        assert events[-1]["type"] == "ExecutionSucceeded"


# --------------------------------------------------------------------------------------------------
# The local AWS's mock-config support itself (movers.local.compat.fix_step_functions_local_mock_config)


LOCAL_AWS_ONLY = pytest.mark.skipif(
    bool(os.environ.get("SFN_LOCAL_ENDPOINT")),
    reason="checks the local AWS's own wiring, not Step Functions Local",
)


@LOCAL_AWS_ONLY
def test_an_unknown_test_case_is_refused_with_invalid_name(sfn, machine_arns):
    with pytest.raises(sfn.exceptions.InvalidName) as refused:
        sfn.start_execution(stateMachineArn=f"{machine_arns['Backfill']}#NoSuchCase", input="{}")
    assert "NoSuchCase" in refused.value.response["Error"]["Message"]


@LOCAL_AWS_ONLY
def test_without_a_test_case_the_machine_calls_its_real_resources(sfn, machine_arns):
    # Given no `#case`, the first Task calls the (placeholder, absent) function: nothing is mocked.
    started = sfn.start_execution(
        stateMachineArn=machine_arns["DailyAnalysis"], input=INPUTS["DailyAnalysis"]
    )
    described = _wait(sfn, started["executionArn"])
    assert (described["status"], described["error"]) == ("FAILED", "Lambda.ResourceNotFoundException")


def _config(responses: dict[str, Any]) -> dict[str, Any]:
    return {"StateMachines": {"M": {"TestCases": {"C": {"S": "R"}}}}, "MockedResponses": responses}


@pytest.mark.parametrize(
    ("config", "machine_name", "case", "message"),
    [
        (_config({"R": {"0": {"Return": 1}, "2": {"Return": 2}}}), "M", "C", "consecutively"),
        (
            _config({"R": {"0": {"Return": 1, "Throw": {"Error": "E"}}}}),
            "M",
            "C",
            "exactly one of Return or Throw",
        ),
        (_config({"R": {"0": {"Throw": {"Cause": "no error"}}}}), "M", "C", "needs a string Error"),
        (_config({"R": {"x": {"Return": 1}}}), "M", "C", "not a valid integer"),
        (_config({}), "M", "C", "unknown mocked response 'R'"),
        (_config({"R": {"0": {"Return": 1}}}), "Other", "C", "no state machine 'Other'"),
        (_config({"R": {"0": {"Return": 1}}}), "M", "D", "no test case 'D'"),
    ],
)
def test_the_loader_refuses_a_malformed_configuration_by_name(config, machine_name, case, message):
    with pytest.raises(MockConfigError, match=message):
        load_mock_test_case(config, machine_name, case)


def test_the_loader_expands_ranges_into_attempts():
    config = _config({"R": {"0": {"Throw": {"Error": "E", "Cause": "c"}}, "1-2": {"Return": {"ok": True}}}})
    attempts = load_mock_test_case(config, "M", "C").state_mocked_responses["S"].mocked_responses
    assert [type(a).__name__ for a in attempts] == [
        "MockedResponseThrow",
        "MockedResponseReturn",
        "MockedResponseReturn",
    ]
    assert (attempts[0].error, attempts[0].cause, attempts[2].payload) == ("E", "c", {"ok": True})
