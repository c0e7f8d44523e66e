"""`movers`: the operator CLI, against AWS (default credential chain, Terraform outputs) or the local stack.

One module per command group, registered by `app.parser()`:

| module | commands |
|---|---|
| `runs` | `run`, `trace`, `list`, `status`, `schedule` |
| `backfill` | `backfill` (with `progress` for its live bar) |
| `analyse` | `analyse` |
| `ops` | `redrive`, `replay` (the restore drill itself is `replay`) |
| `release` | `rollback`, `releases` |
| `smoke` | `smoke` |
| `cost` | `cost` (measures a fresh local stack) |
| `local_stack` | `local up|down|status`, `demo` |

`common` holds what they share (the target, executions, checked arguments, `CliError`); `trace` renders an
execution's history. Errors are one line on stderr and a non-zero exit (no stack trace): no stack deployed,
local stack not running, unknown execution, credentials missing. The commands that talk to AWS import
nothing of the local stack (`movers.local`) or the market server (`movers.market`); the local commands
import them inside the command (tests/unit/test_package_structure.py holds both, and no import cycle).

"movers" names four things in this repository:
- `movers/`, the top-level package of the operator's and developer's tools, never deployed: this CLI, the
  local AWS (`movers.local`), the Massive-compatible market server (`movers.market`), the Lambda packaging
  (`movers.build`), the chaos suite (`movers.chaos`);
- `movers`, the console command: `movers.cli:main` (pyproject.toml), also `python -m movers`;
- `stock_movers.domain.movers`, the domain module of the shared layer that computes a percent change and
  picks a day's winner (deployed with every function);
- `movers_api.movers`, the API function's `GET /movers` and `GET /movers/{date}` routes.
"""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    """The `movers` command (the console script's entry point); the parser loads on the first call."""
    from movers.cli.app import main as run

    return run(argv)
