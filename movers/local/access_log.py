"""The local AWS's access log (our CloudTrail) and the per-role report built from it.

The server appends one JSON object per line (``MOVERS_ACCESS_LOG``):

- a **request** record per authorization: ``time``, ``kind`` (``role`` | ``service`` | ``operator``),
  ``principal`` (role ARN, service principal or ``operator``), ``service``, ``operation`` (the API call),
  ``action`` (the IAM action), ``resource`` (ARN), ``decision`` (``allow`` | ``explicit-deny`` |
  ``implicit-deny``), ``statement`` (the deciding ``policy#sid``), ``enforced``, ``expected`` (a denial a
  proof test asked for);
- a **policies** record (``kind: policies``, ``principal``, ``policies``): a role's identity policies when a
  session is issued and again at shutdown.

``python -m movers.local.access_log report LOG_OR_DIR... [--out FILE] [--check]`` writes a Markdown table
per role (actions and resources used, allowed or not, and the grants no request used, the way IAM Access
Analyzer generates a policy from activity); ``--check`` exits 1 when a role was denied a call no test
expected. ``denials LOG`` prints those unexpected denials.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from movers.local.iam_policy import matches_any_pattern


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Writer:
    """Appends records to the log, one line each, thread-safe, flushed per record."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO | None = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - lives with the server
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            if self._file is not None:
                self._file.write(line)
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def read(paths: Iterable[str | Path]) -> Iterator[dict[str, Any]]:
    """Every record of the given log files (directories: every ``*.jsonl`` inside), in order."""
    for raw in paths:
        path = Path(raw)
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            if not file.exists():
                continue
            with file.open(encoding="utf-8") as fh:
                for line in fh:
                    line = line.strip()
                    if line:
                        try:
                            yield json.loads(line)
                        except ValueError:  # a line cut by a killed server
                            continue


def is_request(record: dict[str, Any]) -> bool:
    return "decision" in record


def unexpected_denials(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Denied calls of confined principals (roles, services) that no proof test expected."""
    return [
        r
        for r in records
        if is_request(r) and r["kind"] != "operator" and r["decision"] != "allow" and not r.get("expected")
    ]


def role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if ":role/" in arn else arn


def _grants(policies: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(statement label, action pattern, resource pattern) for every Allow of the role's policies."""
    out = []
    for policy in policies:
        statements = policy["document"].get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        for i, st in enumerate(statements):
            if st.get("Effect") != "Allow" or "Action" not in st or "Resource" not in st:
                continue
            label = f"{policy['name'].rsplit('/', 1)[-1]}#{st.get('Sid') or i}"
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            resources = [_stable(r) for r in resources]
            out += [(label, a, r) for a in actions for r in resources]
    return out


_SECRET_SUFFIX = re.compile(r"(:secret:[^:]+)-[A-Za-z0-9]{6}$")


def _stable(resource: str) -> str:
    """A resource ARN without the parts that differ between two stacks of one name (a secret's random
    suffix), so logs of several test sessions merge."""
    return _SECRET_SUFFIX.sub(r"\1-??????", resource)


def _normalize(principal: str) -> str:
    """Stacks of different sessions share role names; reports key roles by name."""
    return role_name(principal)


def _pattern_for(grants: list[tuple[str, str, str]], action: str, resource: str) -> str:
    """The resource pattern of the first grant covering (action, resource), else the resource itself."""
    for _label, a, r in grants:
        if matches_any_pattern([a], action, action=True) and matches_any_pattern([r], resource, action=False):
            return r
    return resource


def summarize(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per confined principal: its grants (last policy snapshot) and its calls grouped by (action, resource
    pattern of the grant that covered them), with allowed / denied / expected-denied counts."""
    records = list(records)
    roles: dict[str, dict[str, Any]] = {}
    for r in records:
        if r.get("kind") == "operator":
            continue
        entry = roles.setdefault(
            _normalize(r["principal"]), {"calls": {}, "policies": None, "arn": r["principal"]}
        )
        if not is_request(r):
            entry["policies"] = r.get("policies")
    for r in records:
        if r.get("kind") == "operator" or not is_request(r):
            continue
        entry = roles[_normalize(r["principal"])]
        grants = _grants(entry.get("policies") or [])
        resource = _stable(r["resource"])
        shown = _pattern_for(grants, r["action"], resource) if r["decision"] == "allow" else resource
        counts = entry["calls"].setdefault(
            (r["action"], shown), {"allowed": 0, "denied": 0, "expected": 0, "resources": set()}
        )
        counts["resources"].add(resource)
        if r["decision"] == "allow":
            counts["allowed"] += 1
        elif r.get("expected"):
            counts["expected"] += 1
        else:
            counts["denied"] += 1
    return roles


def unused_grants(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Grants (statement, action, resource pattern) no allowed call of this role matched."""
    used = [(a, res) for (a, _), c in entry["calls"].items() if c["allowed"] for res in c["resources"]]
    out = []
    for label, action, resource in _grants(entry.get("policies") or []):
        if not any(
            matches_any_pattern([action], a, action=True)
            and matches_any_pattern([resource], res, action=False)
            for a, res in used
        ):
            out.append((label, action, resource))
    return out


def _short(resource: str) -> str:
    return resource.replace("arn:aws:", "").replace(":123456789012:", "::")


def _reason(reasons: dict[str, str], label: str, action: str, resource: str) -> str:
    policy, _, sid = label.rpartition("#")
    qualified = ":function:" in resource and resource.endswith(":*")
    for key in (f"{sid} qualified" if qualified else "", sid, policy, action):
        if key and key in reasons:
            return reasons[key]
    return ""


def render(roles: dict[str, dict[str, Any]], reasons: dict[str, str] | None = None, note: str = "") -> str:
    """The Markdown report: one section and table per role."""
    reasons = reasons or {}
    lines = [
        "# IAM access report (generated)",
        "",
        "Generated by `make iam-report` from the local AWS's access logs of a test run",
        "(`build/access-log/`): for every principal the system runs as, each IAM action it used on each",
        "resource (or on the granted resource pattern that covered the calls), how often it was allowed or",
        "denied, and the grants of its policies that no request used, each with the reason it stays",
        "(docs/iam-unused-grants.json). Do not edit by hand: regenerate. ARNs are shortened (`arn:aws:` and",
        "the account id dropped).",
        "",
    ]
    if note:
        lines += [note, ""]
    total_denied = sum(c["denied"] for e in roles.values() for c in e["calls"].values())
    expected = sum(c["expected"] for e in roles.values() for c in e["calls"].values())
    lines += [
        f"Unexpected denials in this run: **{total_denied}** "
        f"(denials the proof tests asked for: {expected}).",
        "",
    ]
    for name in sorted(roles):
        entry = roles[name]
        if not entry["calls"] and not entry.get("policies"):
            continue
        lines += [
            f"## {name}",
            "",
            "| action | resource | calls allowed | denied | distinct resources |",
            "|---|---|---:|---:|---:|",
        ]
        for (action, resource), c in sorted(entry["calls"].items()):
            denied = str(c["denied"]) + (f" (+{c['expected']} expected)" if c["expected"] else "")
            row = f"| `{action}` | `{_short(resource)}` | {c['allowed']} | {denied} | {len(c['resources'])} |"
            lines.append(row)
        if not entry["calls"]:
            lines.append("| (no calls in this run) | | | | |")
        lines.append("")
        if entry.get("policies") is None:
            lines.append("A service principal: decided by resource policies alone (no grants of its own).")
        else:
            unused = unused_grants(entry)
            if unused:
                lines += ["Grants never used in this run:", ""]
                # one line per statement and reason: its unused actions on its unused resources
                grouped: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
                for label, action, resource in unused:
                    why = _reason(reasons, label, action, resource) or "**no reason recorded: remove it?**"
                    actions, resources = grouped.setdefault((label, why), ([], []))
                    if action not in actions:
                        actions.append(action)
                    if resource not in resources:
                        resources.append(resource)
                for (label, why), (actions, resources) in grouped.items():
                    acts = ", ".join(f"`{a}`" for a in sorted(actions))
                    res = ", ".join(f"`{_short(r)}`" for r in sorted(resources))
                    lines.append(f"- `{label}`: {acts} on {res}: {why}")
            else:
                lines.append("Every grant was used.")
        lines.append("")
    return "\n".join(lines)


def load_reasons(path: Path) -> dict[str, str]:
    """Reasons an unused grant stays, keyed by statement Sid (``"<Sid> qualified"`` for the ``:*`` qualified
    function ARNs of a Sid), policy name (a managed policy) or IAM action (a JSON object; keys starting with
    ``_`` are comments)."""
    if not path.exists():
        return {}
    return {k: v for k, v in json.loads(path.read_text()).items() if not k.startswith("_")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m movers.local.access_log", description=__doc__)
    sub = parser.add_subparsers(dest="cmd", required=True)
    rep = sub.add_parser("report", help="per-role Markdown report")
    rep.add_argument("logs", nargs="+", help="access log files or directories of *.jsonl")
    rep.add_argument("--out", help="write here (default: stdout)")
    rep.add_argument("--reasons", help="JSON file of reasons for grants kept unused")
    rep.add_argument("--check", action="store_true", help="exit 1 on an unexpected denial")
    rep.add_argument("--roles", default="", help="only roles whose name starts with this (services always)")
    rep.add_argument("--note", default="", help="a line under the header (e.g. which tests ran)")
    den = sub.add_parser("denials", help="print unexpected denials")
    den.add_argument("logs", nargs="+")
    args = parser.parse_args(argv)
    records = list(read(args.logs))
    denials = unexpected_denials(records)
    if args.cmd == "denials":
        for d in denials:
            print(f"{d['time']} {d['principal']} {d['action']} {d['resource']} {d['decision']}")
        return 1 if denials else 0
    if not any(is_request(r) for r in records):
        print(f"error: no access log records in {' '.join(args.logs)}", file=sys.stderr)
        return 2
    roles = {
        name: entry
        for name, entry in summarize(records).items()
        if name.startswith(args.roles) or name.endswith(".amazonaws.com")
    }
    text = render(roles, load_reasons(Path(args.reasons)) if args.reasons else None, args.note)
    if args.out:
        Path(args.out).write_text(text + "\n")
    else:
        print(text)
    if args.check and denials:
        print(f"error: {len(denials)} unexpected denial(s); see `denials`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
