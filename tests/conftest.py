"""Fixtures shared by every test folder: the full local stack (one Terraform apply per test session).

The stack is started lazily, the first time a test asks for it, and torn down (local AWS discarded) at the
end of the session. The market server runs with a scaled rate limit (5 calls per 2 s) so rate-limit paths
are exercised without minute-long waits; Wait/Retry sleeps of the state machines run at 1/50 speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``runs_last`` (they fill the shared stack with days other tests expect to be fresh,
    such as the demo's 40 sessions) run after every other test, in their collected order."""
    items.sort(key=lambda item: item.get_closest_marker("runs_last") is not None)  # stable sort


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fails the run when the local AWS denied a role (or service) a call no test expected: a permission
    the pipeline needs is missing from the Terraform (see docs/local.md, "IAM")."""
    from movers.local.server import UNEXPECTED_DENIALS

    if not UNEXPECTED_DENIALS:
        return
    lines = [
        f"  {d['principal']}: {d['action']} on {d['resource']} ({d['decision']})" for d in UNEXPECTED_DENIALS
    ]
    unique = sorted(set(lines))
    print(
        f"\nIAM: {len(UNEXPECTED_DENIALS)} unexpected denial(s) in the local AWS:\n" + "\n".join(unique[:30])
    )
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
