"""Every Retry and Catch clause of the backfill, daily-analysis and reconcile machines, taken by a mock-config
test case.

The test cases live in ``mock-config.json`` in AWS Step Functions Local's format: each case answers every Task
state of a machine with mocked responses (the n-th invocation of a state, a retry or a loop's re-entry, gets
the n-th response), a ``Throw`` standing for a failed attempt. From the machine definitions (read from
``statemachines/``, so a merge that adds a clause shows here) and the file, this module predicts for each case
the path it takes (Retry and Catch matched as AWS matches them, Choices read from the mocked answers), which
clauses its failures take and how the execution ends; the meta-test fails when a clause is taken by no case,
and the execution test runs each case and checks the history against the prediction: every state entered,
every failed attempt's error, the Catch's target, the final status and error.

Map iterations get one item, so responses counted per iteration and per state agree.
"""

from __future__ import annotations

import json
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
    "Reconcile": '{"through": "2024-01-03", "reason": "vendor correction"}',
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
    failures: list[str] = field(default_factory=list)  # the error of every failed Task attempt, in order
    error: str | None = None  # the execution's error, when it fails
    caught_by: str | None = None  # the state whose Catch handled the first escaping error
    next_state: str | None = None  # where that Catch went
    entered: list[str] = field(default_factory=list)  # every state entered, in order (Map iterations too)
    status: str = "SUCCEEDED"

    @property
    def failed_attempts(self) -> int:
        return len(self.failures)


class _Failed(Exception):
    def __init__(self, error: str, cause: str) -> None:
        super().__init__(error)
        self.error, self.cause = error, cause


def _get(data: Any, path: str, where: str) -> Any:
    """A reference path ("$", "$.a.b") in data; a missing field fails the prediction by name."""
    assert path == "$" or path.startswith("$."), f"{where}: the prediction reads only $-paths, not {path!r}"
    value = data
    for key in path[2:].split(".") if path != "$" else []:
        assert isinstance(value, dict) and key in value, f"{where}: {path} is not in {value!r}"
        value = value[key]
    return value


def _select(template: Any, data: Any, where: str) -> Any:
    """Parameters / ResultSelector: "key.$" fields read a path, the others are literals."""
    if isinstance(template, dict):
        return {
            (k[:-2] if k.endswith(".$") else k): (
                _get(data, v, where) if k.endswith(".$") else _select(v, data, where)
            )
            for k, v in template.items()
        }
    return template


def _item_input(state: dict[str, Any], data: Any, where: str) -> Any:
    """A Map iteration's input: its ItemSelector over the state input, `$$.Map.Item.Value` being the one
    item and any other context path (execution name, id) a placeholder; without one, the item itself."""
    (item,) = _get(data, state["ItemsPath"], where)
    template = state.get("ItemSelector") or state.get("Parameters")
    if template is None:
        return item

    def read(path: str) -> Any:
        if path == "$$.Map.Item.Value":
            return item
        if path.startswith("$$.Map.Item.Value."):
            return _get(item, "$." + path[len("$$.Map.Item.Value.") :], where)
        if path.startswith("$$."):
            return f"<{path[3:]}>"
        return _get(data, path, where)

    return {
        (k[:-2] if k.endswith(".$") else k): (read(v) if k.endswith(".$") else v) for k, v in template.items()
    }


def _put(data: Any, path: str | None, value: Any) -> Any:
    """ResultPath: null keeps the input, "$" replaces it, "$.a.b" sets a field."""
    if path is None:
        return data
    if path == "$":
        return value
    out = dict(data)
    cursor = out
    keys = path[2:].split(".")
    for key in keys[:-1]:
        cursor[key] = dict(cursor.get(key) or {})
        cursor = cursor[key]
    cursor[keys[-1]] = value
    return out


_CHOICE_TESTS = {
    "StringEquals": lambda v, x: v == x,
    "NumericEquals": lambda v, x: v == x,
    "BooleanEquals": lambda v, x: v is x,
}


def _choose(rule: dict[str, Any], data: Any, where: str) -> bool:
    """The Choice rules these machines use: a Variable and one comparison (IsPresent or an equality)."""
    path = rule["Variable"]
    if "IsPresent" in rule:
        try:
            _get(data, path, where)
            present = True
        except AssertionError:
            present = False
        return present is rule["IsPresent"]
    (test,) = [k for k in rule if k in _CHOICE_TESTS] or [None]
    assert test, f"{where}: the prediction does not know the Choice rule {rule}"
    value = _get(data, path, where)
    return type(value) is type(rule[test]) and _CHOICE_TESTS[test](value, rule[test])


class _Walk:
    """Follows one case through a machine: each Task takes its next mocked response (a retry or a re-entry
    alike, as Step Functions Local counts), Retry and Catch are matched as AWS matches them, Choices read
    the data the mocked answers put where ResultSelector/ResultPath say, each Map runs its one item."""

    def __init__(self, name: str, case: str, responses_by_state: dict[str, list[dict[str, Any]]]) -> None:
        self.where = f"{name}#{case}"
        self.responses = responses_by_state
        self.invocations: dict[str, int] = {}
        self.result = Prediction()

    def run(self, states: dict[str, Any], start: str, data: Any) -> Any:
        name = start
        for _ in range(1000):
            state = states[name]
            self.result.entered.append(name)
            kind, where = state["Type"], f"{self.where} at {name}"
            try:
                if kind == "Task":
                    data = self.task(name, state, data)
                elif kind == "Map":
                    items = _get(data, state["ItemsPath"], where)
                    assert len(items) == 1, f"{where}: Map iterations get one item, not {items}"
                    processor = state.get("ItemProcessor") or state["Iterator"]
                    output = self.run(
                        processor["States"], processor["StartAt"], _item_input(state, data, where)
                    )
                    data = _put(data, state.get("ResultPath", "$"), [output])
                elif kind == "Pass":
                    value = _select(state["Parameters"], data, where) if "Parameters" in state else data
                    data = _put(data, state.get("ResultPath", "$"), state.get("Result", value))
                elif kind == "Choice":
                    rules = state["Choices"]
                    name = next((r["Next"] for r in rules if _choose(r, data, where)), state.get("Default"))
                    assert name, f"{where}: no Choice rule matches and there is no Default"
                    continue
                elif kind == "Wait":
                    if "SecondsPath" in state:
                        seconds = _get(data, state["SecondsPath"], where)
                        assert isinstance(seconds, int) and seconds >= 0, f"{where}: waits {seconds!r}"
                elif kind == "Succeed":
                    return data
                elif kind == "Fail":
                    error = state.get("Error") or _get(data, state["ErrorPath"], where)
                    cause = state.get("Cause") or _get(data, state.get("CausePath", "$.error.Cause"), where)
                    raise _Failed(error, cause)
                else:
                    raise AssertionError(f"{where}: the prediction does not know {kind} states")
            except _Failed as failed:
                if kind == "Fail":
                    raise
                catches = state.get("Catch", [])
                hit = next(
                    (i for i, c in enumerate(catches) if _handles(c["ErrorEquals"], failed.error)), None
                )
                if hit is None:
                    raise
                self.result.taken.add(("Catch", name, hit))
                if self.result.caught_by is None:
                    self.result.caught_by, self.result.next_state = name, catches[hit]["Next"]
                error_output = {"Error": failed.error, "Cause": failed.cause}
                data = _put(data, catches[hit].get("ResultPath", "$"), error_output)
                name = catches[hit]["Next"]
                continue
            if state.get("End"):
                return data
            name = state["Next"]
        raise AssertionError(f"{self.where}: more than 1000 states entered: a loop the mocks never end")

    def task(self, name: str, state: dict[str, Any], data: Any) -> Any:
        where = f"{self.where} at {name}"
        assert name in self.responses, f"{where}: the case does not mock this Task"
        retriers = state.get("Retry", [])
        used = [0] * len(retriers)  # retry counts start afresh on every entry of the state
        while True:
            n = self.invocations.get(name, 0)
            self.invocations[name] = n + 1
            assert n < len(self.responses[name]), f"{where}: runs out of mocked responses"
            attempt = self.responses[name][n]
            if "Return" in attempt:
                result = attempt["Return"]
                if "ResultSelector" in state:
                    result = _select(state["ResultSelector"], result, where)
                data = _put(data, state.get("ResultPath", "$"), result)
                return _get(data, state.get("OutputPath", "$"), where)
            error = attempt["Throw"]["Error"]
            self.result.failures.append(error)
            index = next((i for i, r in enumerate(retriers) if _handles(r["ErrorEquals"], error)), None)
            if index is not None and used[index] < retriers[index].get("MaxAttempts", 3):
                used[index] += 1
                self.result.taken.add(("Retry", name, index))
                continue
            raise _Failed(error, attempt["Throw"].get("Cause", ""))


def predict(name: str, case: str) -> Prediction:
    """What a test case does to its machine, from the definition and the mocked responses alone."""
    definition, config = machine(name), mock_config()
    mocked: dict[str, str] = config["StateMachines"][name]["TestCases"][case]
    walk = _Walk(name, case, {state: responses(config, r) for state, r in mocked.items()})
    try:
        walk.run(definition["States"], definition["StartAt"], json.loads(INPUTS[name]))
    except _Failed as failed:
        walk.result.status, walk.result.error = "FAILED", failed.error
    return walk.result


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
    fetch_retry = machine("Backfill")["States"]["Fetch Ranges"]["ItemProcessor"]["States"]["Fetch Range"][
        "Retry"
    ]
    lambda_clause = next(
        i for i, r in enumerate(fetch_retry) if "Lambda.ServiceException" in r["ErrorEquals"]
    )
    assert p.failed_attempts == 4
    assert ("Retry", "Fetch Range", lambda_clause) in p.taken and ("Catch", "Fetch Ranges", 0) in p.taken
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
    # then the history shows the predicted states entered in order, the error of every failed attempt (each
    # retried by its Retry clause, or the last caught), the Catch's target entered, the status and error.
    expected = predict(name, case)
    started = sfn.start_execution(
        stateMachineArn=f"{machine_arns[name]}#{case}",
        name=f"{case}-{uuid.uuid4().hex[:8]}",
        input=INPUTS[name],
    )
    described = _wait(sfn, started["executionArn"])
    events = history(started["executionArn"])
    failures = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert [f["error"] for f in failures] == expected.failures, failures
    assert described["status"] == expected.status, described.get("cause")
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]
    assert entered == expected.entered
    if expected.next_state is not None:
        assert expected.next_state in entered[entered.index(expected.caught_by) :], entered
    if expected.status == "FAILED":
        assert described["error"] == expected.error
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
