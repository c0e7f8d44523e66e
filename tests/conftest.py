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
# the gap between taking a token and the call reaching the server, on a loaded 2-core machine running two
# pytest workers (0.5 s let one call in ~3 full runs land in the provider's previous window: a 429)
RATE_LIMIT_ALLOWANCE = 1.0


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    """Given the Terraform stack applied to a fresh local AWS with the bundled SYNTHETIC market server."""
    work: Path = tmp_path_factory.mktemp("stack")
    local = LocalStack(
        work_dir=work,
        time_scale=TIME_SCALE,
        market_rate_limit=MARKET_RATE_LIMIT,
        variables={
            "rate_limit_allowance_seconds": RATE_LIMIT_ALLOWANCE,
            # 10 tickers (tests/integration/test_ingest_fanout.py) take the Distributed Map in 3 children;
            # the 6-ticker watchlist of every other test keeps the inline Map
            "distributed_map_threshold": 8,
            "distributed_batch_size": 4,
            # the whole market's schedule exists, so a test fires it into a daily-market-<date> run
            "market_schedule_enabled": True,
        },
    )
    try:
        local.start()
        yield StackHandle(local)
    finally:
        local.stop()


# Folders whose tests share an expensive session fixture (a local AWS, a browser, terraform init): each runs
# on one xdist worker, so the fixture starts once. tests/integration and tests/chaos share the Terraform stack
# (`stack`), except test_local_up, which brings up a stack of its own; test_iam_plan joins them.
_SESSION_FOLDERS = ("browser", "infrastructure", "local", "statemachines")
_STACK_FOLDERS = ("integration", "chaos")
_OWN_STACK = ("tests/integration/test_local_up.py",)
# Outside those folders but on the shared stack (a plan of the applied stack): in the stack's group, so no
# second worker applies a stack of its own for it.
_ON_SHARED_STACK = ("tests/infrastructure/test_iam_plan.py",)
# These stack tests run on a second stack of their own ("stack-2"), applied on the other worker: with every
# stack test on one worker, that worker was the suite's critical path while the other idled for minutes.
# Each of them makes its own days or restores what it changes, so either stack serves it.
# Measured 2026-11-27 (912 s): the main stack's worker 831 s, the other 911 s (the second stack, Terraform's
# own tests, unit, local, browser, `make demo`'s stack), so only test_operations stays on the second stack.
# Again after the functions moved to S3 (903 s): the `stack` group's tests 890 s, every other group 880 s.
# (Three workers on the 2 cores took 1041 s: the CPU-bound stack tests slowed more than the waits overlapped.)
_SECOND_STACK = ("tests/integration/test_operations.py",)
_STACK_GROUPS = ("stack", "stack-2")


def xdist_group_of(nodeid: str) -> str:
    """The xdist group a test runs in: all of a group's tests go to one worker, in collection order."""
    module = nodeid.split("::")[0]
    parts = module.split("/")
    if module in _OWN_STACK or len(parts) < 3:
        return module
    if module in _SECOND_STACK:
        return "stack-2"
    if parts[1] in _STACK_FOLDERS or module in _ON_SHARED_STACK:
        return "stack"
    if parts[1] in _SESSION_FOLDERS:
        return parts[1]
    return module  # a module's own module-scoped fixtures start once


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`pytest -n 2` (the Makefile's `make test`) schedules whole groups (:func:`xdist_group_of`): the shared
    stacks are applied once each, one per worker, and the other groups fill in. (xdist's own loadgroup
    marks node ids in a way pytest 9 no longer reads, so the groups are given to its scope scheduler.)"""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group_of(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            # A worker's first group is a stack group while one is left, so the two stacks go to two
            # workers (never both to one, which would run them on one shared stack, serially).
            if not self.assigned_work.get(node):
                for group in _STACK_GROUPS:
                    if group in self.workqueue:
                        self.workqueue.move_to_end(group, last=False)
                        break
            super()._assign_work_unit(node)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``runs_first`` (they judge the stack as applied, before any test changes it) run before
    every other test of their group, and those marked ``runs_last`` (they fill the shared stack with days
    other tests expect to be fresh, such as the demo's 40 sessions) after every other; otherwise the
    collected order stays (a stable sort)."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("runs_first") is not None:
            return -1
        return 1 if item.get_closest_marker("runs_last") is not None else 0

    items.sort(key=rank)


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
