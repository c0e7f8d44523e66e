"""`movers rollback`'s plan: which aliases move where, from the ledger's releases (movers.cli.release)."""

from __future__ import annotations

import json

import pytest

from movers.cli.common import CliError
from movers.cli.release import Move, Release, plan_rollback

SM = "arn:aws:states:us-east-1:123456789012:stateMachine:stock-movers-dev-ingest"


def _release(functions: dict[str, str], machines: dict[str, str], version: str = "v") -> Release:
    return Release(version, functions, machines)


def test_only_what_the_newest_deploy_changed_moves_back():
    # Given release N-1 and the live aliases after a deploy that changed fetch-bars and the ingest machine
    previous = _release({"f-fetch-bars": "3", "f-store-day": "5"}, {SM: f"{SM}:2"})
    live = _release({"f-fetch-bars": "4", "f-store-day": "5"}, {SM: f"{SM}:3"})
    # Then exactly those two aliases move back, and the unchanged function stays where it is
    assert plan_rollback(live, previous) == [
        Move("function", "f-fetch-bars", "4", "3"),
        Move("state machine", SM, f"{SM}:3", f"{SM}:2"),
    ]
    assert Move("state machine", SM, f"{SM}:3", f"{SM}:2").describe() == (
        "state machine stock-movers-dev-ingest: live 3 -> 2"
    )


def test_nothing_moves_when_live_is_the_previous_release_or_a_function_is_new():
    previous = _release({"f-a": "1"}, {})
    assert plan_rollback(_release({"f-a": "1"}, {}), previous) == []
    # a function the previous release did not know has no earlier version to go back to
    assert plan_rollback(_release({"f-a": "1", "f-new": "1"}, {}), previous) == []


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"functions": [], "state_machines": {}}'])
def test_a_malformed_ledger_version_is_a_named_error(body):
    with pytest.raises(CliError, match="release ledger version v9 is malformed"):
        Release.parse("v9", body)


def test_the_ledger_parses_as_terraform_writes_it():
    body = json.dumps(
        {"alias": "live", "functions": {"f-a": "2"}, "state_machines": {SM: f"{SM}:1"}}
    ).encode()
    assert Release.parse("v1", body) == Release("v1", {"f-a": "2"}, {SM: f"{SM}:1"})
