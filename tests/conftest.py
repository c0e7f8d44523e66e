"""Fixtures shared by every test folder: the full local stack (one Terraform apply per test session).

The stack is started lazily, the first time a test asks for it, and torn down (local AWS discarded) at the
end of the session. The market server runs with a scaled rate limit (5 calls per 2 s) so rate-limit paths
are exercised without minute-long waits; Wait/Retry sleeps of the state machines run at 1/50 speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from movers.local.stack import LocalStack
from tests.support.localstack import StackHandle

MARKET_RATE_LIMIT = (5, 2.0)
TIME_SCALE = 0.02
# the gap between taking a token and the call reaching the server, on a loaded 2-core machine
RATE_LIMIT_ALLOWANCE = 0.5


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    """Given the Terraform stack applied to a fresh local AWS with the bundled SYNTHETIC market server."""
    work: Path = tmp_path_factory.mktemp("stack")
    local = LocalStack(
        work_dir=work,
        time_scale=TIME_SCALE,
        market_rate_limit=MARKET_RATE_LIMIT,
        variables={"rate_limit_allowance_seconds": RATE_LIMIT_ALLOWANCE},
    )
    try:
        local.start()
        yield StackHandle(local)
    finally:
        local.stop()


# Folders whose tests share an expensive session fixture (a local AWS, a browser, terraform init): each runs
# on one xdist worker, so the fixture starts once.
_SESSION_FOLDERS = ("browser", "infrastructure", "local", "statemachines")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Orders and groups the tests for `pytest -n 2 --dist loadgroup` (the Makefile's `make test`).

    Tests marked ``runs_last`` (they fill the shared stack with days other tests expect to be fresh, such as
    the demo's 40 sessions) run after every other test of their worker, in their collected order. Every test
    on the shared Terraform stack is in one xdist group, so one worker applies it once; a folder with a
    session fixture of its own is one group too; any other test goes to whichever worker is free.
    """
    items.sort(key=lambda item: item.get_closest_marker("runs_last") is not None)  # stable sort
    for item in items:
        parts = item.nodeid.split("/")
        if "stack" in getattr(item, "fixturenames", ()):
            group = "stack"
        elif len(parts) > 2 and parts[1] in _SESSION_FOLDERS:
            group = parts[1]
        else:
            group = item.nodeid.split("::")[0]  # a module's own module-scoped fixtures start once
        item.add_marker(pytest.mark.xdist_group(group))


def _unexpected_denials() -> list[dict[str, Any]]:
    from movers.local.server import UNEXPECTED_DENIALS

    return list(UNEXPECTED_DENIALS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """(xdist controller) Collects each worker's unexpected IAM denials (see pytest_sessionfinish)."""
    _WORKER_DENIALS.extend(getattr(node, "workeroutput", {}).get("iam_denials", []))


_WORKER_DENIALS: list[dict[str, Any]] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fails the run when the local AWS denied a role (or service) a call no test expected: a permission
    the pipeline needs is missing from the Terraform (see docs/local.md, "IAM"). An xdist worker hands its
    denials to the controller, which decides."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker
        workeroutput["iam_denials"] = _unexpected_denials()
        return
    denials = _unexpected_denials() + _WORKER_DENIALS
    if not denials:
        return
    lines = [f"  {d['principal']}: {d['action']} on {d['resource']} ({d['decision']})" for d in denials]
    unique = sorted(set(lines))
    print(f"\nIAM: {len(denials)} unexpected denial(s) in the local AWS:\n" + "\n".join(unique[:30]))
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
