"""The `movers` command line: one parser, each command group registering its own subcommands.

Each group is a module of this package that adds its subcommands to the parser; the groups share
`movers.cli.common` (the target stack and its executions). Building the parser, and every command that
talks to AWS, loads nothing of the local stack or the market server: those load inside the local commands.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from movers.cli import (
    analyse,
    backfill,
    cost,
    local_stack,
    ops,
    push,
    query,
    reconcile,
    release,
    runs,
    smoke,
)
from movers.cli.common import CliError


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (`error: movers run: ...`, exit 2), like every other refusal."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="movers", description="Operate the stock-movers pipeline.")
    p.add_argument("--local", action="store_true", help="use the local stack (or set MOVERS_LOCAL=1)")
    sub = p.add_subparsers(dest="command", required=True)
    runs.add_run_parser(sub)
    backfill.add_parser(sub)
    analyse.add_parser(sub)
    ops.add_parsers(sub)  # redrive, replay
    release.add_parsers(sub)  # rollback, releases
    smoke.add_parser(sub)
    reconcile.add_parser(sub)
    push.add_parser(sub)
    cost.add_parser(sub)
    query.add_parser(sub)
    runs.add_parsers(sub)  # trace, list, status, schedule
    local_stack.add_parsers(sub)  # local, demo

    # global flags are accepted after the command too (`movers list --local`)
    for command in sub.choices.values():
        command.add_argument(
            "--local", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
    return p


def _stack_error(exc: BaseException) -> bool:
    """The local stack's one-line refusal (movers.local.stack.StackError), recognised without importing the
    emulator here: only a local command, which has loaded that module, can raise it."""
    stack = sys.modules.get("movers.local.stack")
    return stack is not None and isinstance(exc, stack.StackError)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # credentials missing, endpoint down: one line, no trace
        name = type(exc).__name__
        if _stack_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if name in ("NoCredentialsError", "NoRegionError", "PartialCredentialsError"):
            print(
                "error: AWS credentials missing: configure them (aws configure) or use --local",
                file=sys.stderr,
            )
        elif name in ("EndpointConnectionError", "ConnectionRefusedError"):
            print(f"error: cannot reach AWS endpoint ({exc}); is the local stack running?", file=sys.stderr)
        else:
            print(f"error: {name}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
