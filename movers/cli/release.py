"""`movers release` and `movers rollback`: the stack's releases and a one-command rollback.

Every function and state machine publishes immutable versions behind a `live` alias, and every caller (the
schedules, the EventBridge rules, the API integration, the state machines' tasks, the functions that start
machines) invokes or starts the alias. Terraform records each release in the ledger object
`releases/live.json` of the versioned data bucket (infrastructure/releases.tf); its object versions are the
release history, newest first. `rollback` moves every alias to the release before the newest one and
prints one line per alias it moved. Running it again changes nothing; the next deploy moves the aliases
forward again (docs/operations.md#releases).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import Any, TextIO

from movers.cli.common import CliError, Target, target


@dataclass(frozen=True)
class Release:
    """One ledger entry: the live Lambda version per function name and version ARN per state machine ARN."""

    ledger_version: str
    functions: dict[str, str]
    state_machines: dict[str, str]

    @staticmethod
    def parse(ledger_version: str, body: bytes) -> Release:
        try:
            doc = json.loads(body)
            functions = {str(k): str(v) for k, v in doc["functions"].items()}
            machines = {str(k): str(v) for k, v in doc["state_machines"].items()}
        except (ValueError, KeyError, AttributeError, TypeError) as exc:
            raise CliError(f"release ledger version {ledger_version} is malformed: {exc}") from None
        return Release(ledger_version, functions, machines)


@dataclass(frozen=True)
class Move:
    """One alias to move: kind is "function" or "state machine"; `name` its function name or machine ARN."""

    kind: str
    name: str
    current: str
    target: str

    def describe(self) -> str:
        short = self.name.rsplit(":", 1)[-1]
        cur = self.current.rsplit(":", 1)[-1]
        to = self.target.rsplit(":", 1)[-1]
        return f"{self.kind} {short}: live {cur} -> {to}"


def plan_rollback(live: Release, previous: Release) -> list[Move]:
    """The alias moves that make `live` equal `previous` for everything `previous` knows.

    A function or machine the previous release did not have (added by the newest deploy) stays as it is:
    there is no earlier version of it to go back to.
    """
    moves = [
        Move("function", name, live.functions[name], version)
        for name, version in sorted(previous.functions.items())
        if name in live.functions and live.functions[name] != version
    ]
    moves += [
        Move("state machine", arn, live.state_machines[arn], version)
        for arn, version in sorted(previous.state_machines.items())
        if arn in live.state_machines and live.state_machines[arn] != version
    ]
    return moves


def ledger_history(t: Target) -> list[Release]:
    """Every recorded release, newest first (the ledger object's versions)."""
    bucket, key = t.outputs.get("bucket_name"), t.outputs.get("release_ledger_key")
    if not bucket or not key:
        raise CliError("the stack records no releases (no release_ledger_key output): deploy it first")
    s3 = t.client("s3")
    versions: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": key}
    while True:
        page = s3.list_object_versions(**kwargs)
        versions += [v for v in page.get("Versions", []) if v["Key"] == key]
        if not page.get("IsTruncated"):
            break
        kwargs.update(KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])
    versions.sort(key=lambda v: v["LastModified"], reverse=True)
    return [
        Release.parse(
            v["VersionId"], s3.get_object(Bucket=bucket, Key=key, VersionId=v["VersionId"])["Body"].read()
        )
        for v in versions
    ]


def live_release(t: Target, alias: str, names: Release) -> Release:
    """Where the aliases of the functions and machines named in `names` point now."""
    lam, sfn = t.client("lambda"), t.client("stepfunctions")
    functions = {
        name: str(lam.get_alias(FunctionName=name, Name=alias)["FunctionVersion"]) for name in names.functions
    }
    machines = {}
    for arn in names.state_machines:
        routing = sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:{alias}")[
            "routingConfiguration"
        ]
        machines[arn] = str(max(routing, key=lambda r: r["weight"])["stateMachineVersionArn"])
    return Release("live", functions, machines)


def apply_moves(t: Target, alias: str, moves: list[Move]) -> None:
    lam, sfn = t.client("lambda"), t.client("stepfunctions")
    for move in moves:
        if move.kind == "function":
            lam.update_alias(FunctionName=move.name, Name=alias, FunctionVersion=move.target)
        else:
            sfn.update_state_machine_alias(
                stateMachineAliasArn=f"{move.name}:{alias}",
                routingConfiguration=[{"stateMachineVersionArn": move.target, "weight": 100}],
            )


def rollback(t: Target, out: TextIO, dry_run: bool = False, alias: str = "live") -> int:
    """What `movers rollback` does; returns the exit status."""
    history = ledger_history(t)
    if len(history) < 2:
        raise CliError("only one release is recorded: there is no previous release to roll back to")
    newest, previous = history[0], history[1]
    live = live_release(t, alias, newest)
    moves = plan_rollback(live, previous)
    if not moves:
        print(
            f"already at the previous release (ledger version {previous.ledger_version}): nothing to move",
            file=out,
        )
        return 0
    for move in moves:
        print(("would move " if dry_run else "moved ") + move.describe(), file=out)
    if not dry_run:
        apply_moves(t, alias, moves)
        print(f"rolled back {len(moves)} aliases to the release before the newest deploy", file=out)
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    import sys

    return rollback(target(args), sys.stdout, dry_run=args.dry_run)


def cmd_releases(args: argparse.Namespace) -> int:
    t = target(args)
    prefix = f"{t.outputs.get('name_prefix', '')}-"
    for i, release in enumerate(ledger_history(t)):
        label = "newest" if i == 0 else f"newest-{i}"
        fns = " ".join(f"{n.removeprefix(prefix)}={v}" for n, v in sorted(release.functions.items()))
        sms = " ".join(
            f"{arn.rsplit(':', 1)[-1].removeprefix(prefix)}={v.rsplit(':', 1)[-1]}"
            for arn, v in sorted(release.state_machines.items())
        )
        print(f"{label:<9} ledger {release.ledger_version}\n  functions: {fns}\n  state machines: {sms}")
    return 0


def add_parsers(sub: Any) -> None:
    """Adds `rollback` and `releases` to the `movers` CLI."""
    rb = sub.add_parser(
        "rollback", help="move every `live` alias back to the release before the newest deploy"
    )
    rb.add_argument("--dry-run", action="store_true", help="print the moves without making them")
    rb.set_defaults(func=cmd_rollback)
    rel = sub.add_parser("releases", help="the recorded releases, newest first")
    rel.set_defaults(func=cmd_releases)
