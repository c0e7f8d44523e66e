"""A small seeded chaos suite on the session's stack (movers.chaos; `make chaos` and `make bench` run
bigger ones): randomized ingest runs under provider and local-AWS faults, each stored day checked against
the independent oracle, ending with the DESIGN.md §5 tally line.

Its dates are drawn from 2021-02..2023-11, sessions the other stack tests do not name (the five-year
backfill test accepts days stored before it), and it waits for every execution it caused to end.
"""

from __future__ import annotations

import re

import pytest

from movers import chaos
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack

RUNS = 8
SEED = 1  # a mix: a concurrent group, clean, forced and re-runs, provider and AWS faults
TALLY = re.compile(
    r"^chaos: (\d+) runs, (\d+) wrong winners, (\d+) winners for failed runs, (\d+) partial writes, "
    r"(\d+) transient faults failed a run, (\d+) permanent faults passed, "
    r"peak (\d+) calls in any ([0-9.]+)-second window \(limit (\d+|none)\)$"
)


# the bound covers the session stack's Terraform apply when this is the first stack test to ask for it
@pytest.mark.timeout(900)
def test_seeded_chaos_runs_store_no_wrong_or_partial_day_and_keep_the_provider_limit(
    stack: StackHandle,
) -> None:
    # Given the session stack (market limit 5 calls per 2 s, Wait/Retry at 1/50 speed)
    lines: list[str] = []
    config = chaos.Config(
        runs=RUNS,
        seed=SEED,
        date_from="2021-02-01",
        date_to="2023-11-30",
        run_timeout_s=120.0,
        deadline_s=240.0,
    )
    # When 8 seeded runs go through provider and local-AWS faults
    tally = chaos.run_suite(stack.stack, config, log=lines.append)
    report = "\n".join(lines)
    # Then the suite ends with the tally line, every run ran, and nothing stored is wrong or half-written
    match = TALLY.match(lines[-1])
    assert match, report
    assert int(match.group(1)) == RUNS == tally.runs, report
    assert tally.wrong_winners == [] and tally.wrong_values == [], report
    assert tally.failed_winners == [] and tally.partial_writes == [], report
    # and transient faults within their budget never failed a run, permanent ones never stored a winner
    assert tally.transient_failed == [] and tally.permanent_passed == [], report
    # and the provider never saw more calls in one window than its plan allows
    assert tally.limit is not None and tally.peak <= tally.limit, report
    assert tally.ok, report
