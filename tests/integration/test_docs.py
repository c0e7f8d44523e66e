"""docs/cli.md (and docs/operations.md) as a user follows them: after what `make demo` does (its backfill of
40 sessions and the daily run of 2026-11-20), every `$ movers --local ...` example of a `console` block runs
as written, exits 0 and prints the example's output lines (progress lines, indented, vary and are skipped)."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from pathlib import Path

import pytest

from movers.cli import app, common, local_stack
from movers.local.stack import ROOT
from tests.support.localstack import StackHandle

DOCS = [ROOT / "docs" / "cli.md", ROOT / "docs" / "operations.md"]


def console_examples(path: Path) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of every `$ movers --local` line in the file's console blocks."""
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", path.read_text(), flags=re.S):
        lines = block.replace("\\\n", " ").splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("$ movers --local "):
                continue
            expected = []
            for follow in lines[i + 1 :]:
                if follow.startswith("$ "):
                    break
                expected.append(follow)
            out.append((line[2:], expected))
    return out


def test_the_docs_have_runnable_examples() -> None:
    commands = [c for path in DOCS for c, _ in console_examples(path)]
    assert len(commands) >= 6
    assert any(" run " in c for c in commands) and any(" backfill " in c for c in commands)


@pytest.mark.runs_last  # the demo's 40 sessions (2026-09-24 .. 2026-11-20) overlap other tests' days
def test_every_console_example_runs_as_written_after_the_demo(
    stack: StackHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOVERS_STATE_FILE", str(stack.state_file(tmp_path / "stack.json")))
    # Given what `make demo` runs (the same function)
    target = common.local_target()
    assert local_stack.demo_runs(target, dt.date(2026, 11, 20), 40)["status"] == "SUCCEEDED"
    capsys.readouterr()
    for path in DOCS:
        for command, expected in console_examples(path):
            # When the example runs as written
            code = app.main(shlex.split(command)[1:])
            out = capsys.readouterr()
            # Then it succeeds and prints the documented lines
            assert code == 0, f"{command}: exit {code}\n{out.out}{out.err}"
            shown = out.out.splitlines()
            for line in expected:
                if line.startswith("  ") or line.strip() in ("", "..."):
                    continue
                assert line in shown, f"{command}: expected {line!r} in\n{out.out}"
