"""The packages' import structure: no import cycle, the operator CLI's AWS commands load nothing of the local
stack or the market server, and bench/ imports nothing from tests/.

The import graph is read from the source with `ast` (every `import`, at module level or inside a function:
a cycle broken by a late import is still a cycle), so these checks run no project code except where they
say so.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stock_movers.execution_names import daily_execution_name

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "layers" / "shared" / "python"
EMULATOR = ("movers.local", "movers.market")
# Modules of movers/cli/ that only the local stack's commands use: they import the emulator in the command.
LOCAL_COMMANDS = {"movers.cli.local_stack", "movers.cli.cost"}
# Functions of the AWS-side command modules that serve `--local` (the running stack's state file, the bundled
# dataset's last day): the only places there that may import the emulator, inside the function.
LOCAL_TARGET_FUNCTIONS = {
    ("movers.cli.common", "local_target"),
    ("movers.cli.smoke", "default_day"),
    ("movers.cli.smoke", "smoke_target"),
}


def modules(base: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file of every module of `package` (a folder under `base`)."""
    out = {}
    for path in sorted((base / package).rglob("*.py")):
        parts = path.relative_to(base).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path) -> Iterator[tuple[str, ast.stmt, str | None]]:
    """(imported module or name, the import node, the enclosing top-level function or None)."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def walk(node: ast.AST, function: str | None) -> Iterator[tuple[str, ast.stmt, str | None]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                yield from ((alias.name, child, function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*parent, base] if base else parent)
                yield from ((f"{base}.{alias.name}", child, function) for alias in child.names)
            else:
                inner = function
                if function is None and isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    inner = child.name
                yield from walk(child, inner)

    yield from walk(tree, None)


def resolve(target: str, known: dict[str, Path]) -> str | None:
    """The module an import names: `a.b.c` is module a.b.c, or the name c of module a.b."""
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or None


def graph(known: dict[str, Path]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in known}
    for name, path in known.items():
        for target, _, _ in imports(name, path):
            found = resolve(target, known)
            if found is not None and found != name:
                edges[name].add(found)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_check_finds_a_cycle_made_by_a_late_import() -> None:
    # Given a -> b at module level and b -> a inside a function (the shape cli.py had with ops_cli.py)
    edges = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    # Then it is a cycle, and c (which only imports into it) is not part of it
    assert cycles(edges) == [["a", "b"]]


@pytest.mark.parametrize("package", ["movers", "bench", "stock_movers"])
def test_no_import_cycle(package: str) -> None:
    known = modules(ROOT, "movers") | modules(ROOT, "bench") | modules(SHARED, "stock_movers")
    edges = {m: t for m, t in graph(known).items() if m.split(".")[0] == package}
    assert edges, package
    assert cycles({m: {t for t in targets if t in edges} for m, targets in edges.items()}) == []


def test_the_cli_package_is_split_by_command_group_and_its_imports_do_not_run_back() -> None:
    # Given the CLI's modules
    known = modules(ROOT, "movers")
    edges = graph(known)
    groups = {m for m in known if m.startswith("movers.cli.")} - {"movers.cli.app"}
    # Then no command group imports the entry that registers them (app) nor the package's lazy `main`
    for module in groups:
        assert "movers.cli.app" not in edges[module], module
        assert "movers.cli" not in edges[module], f"{module} imports the package's entry point"
    assert "movers.cli.common" in edges["movers.cli.app"]


def test_no_cli_module_imports_the_emulator_at_module_level() -> None:
    for name, path in modules(ROOT, "movers").items():
        if not name.startswith("movers.cli"):
            continue
        for target, node, function in imports(name, path):
            if target.startswith(EMULATOR):
                assert function is not None, f"{name}:{node.lineno} imports {target} at import time"


def test_the_aws_commands_import_the_emulator_only_for_the_local_target() -> None:
    # Every late import of movers.local / movers.market in a module of the AWS commands is in a function that
    # serves `--local`; a new one elsewhere (an AWS command reaching into the emulator) fails here.
    found = set()
    for name, path in modules(ROOT, "movers").items():
        if not name.startswith("movers.cli") or name in LOCAL_COMMANDS:
            continue
        for target, node, function in imports(name, path):
            if target.startswith(EMULATOR):
                assert (name, function) in LOCAL_TARGET_FUNCTIONS, f"{name}:{node.lineno} imports {target}"
                found.add((name, function))
    assert found == LOCAL_TARGET_FUNCTIONS  # the list names no function that has stopped needing it


AWS_COMMANDS = [
    ["run", "--date", "2026-11-20"],
    ["run", "--date", "2026-11-20", "--force", "--wait"],
    ["trace", daily_execution_name("2026-11-20"), "--verbose"],
    ["list"],
    ["status"],
    ["schedule", "show"],
    ["schedule", "fire", "--wait"],
    ["backfill", "--from", "2026-11-02", "--to", "2026-11-06", "--wait"],
    ["analyse", "--from", "2026-11-02", "--to", "2026-11-06"],
    [
        "redrive",
        "arn:aws:states:us-east-1:123456789012:execution:ingest:" + daily_execution_name("2026-11-20"),
    ],
    ["replay", "--from", "2026-11-02", "--to", "2026-11-06"],
    ["rollback"],
    ["releases"],
    ["smoke"],
]

# Runs in a fresh interpreter: the CLI's parser is built and every AWS command runs against a stack whose
# every AWS call is refused (and with no network), so each command loads what it needs up to its first call;
# then it writes which commands reached AWS and which modules were loaded.
PROBE = """
import io, json, socket, sys
from contextlib import redirect_stderr, redirect_stdout

def no_network(*args, **kwargs):
    raise OSError("no network in this probe")

socket.socket.connect = socket.create_connection = socket.getaddrinfo = no_network

from movers.cli import app, common

reached = []

class Offline:
    def __getattr__(self, name):
        reached.append(name)
        raise RuntimeError(f"refused {name}")

class OfflineTarget(common.Target):
    def client(self, service):
        return Offline()

outputs = {f"{m}_state_machine_arn": f"arn:aws:states:us-east-1:123456789012:stateMachine:{m}"
           for m in ("ingest", "backfill", "daily_analysis")}
outputs |= {"table_name": "t", "bucket_name": "b", "api_url": "https://api.example",
            "daily_schedule_name": "s", "frontend_url": "https://page.example",
            "function_names": {"validate_input": "v", "store_day": "s"},
            "release_ledger_key": "releases/live.json", "name_prefix": "stock-movers-dev"}
for module in [m for n, m in sys.modules.items() if n.startswith("movers.cli.")]:
    if hasattr(module, "aws_target"):
        module.aws_target = lambda: OfflineTarget(dict(outputs))
codes = []
for argv in json.loads(sys.argv[1]):
    reached.clear()
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
        code = app.main(argv)
    codes.append([argv, code, list(reached), err.getvalue()])
with open(sys.argv[2], "w") as out:
    json.dump({"codes": codes, "modules": sorted(sys.modules)}, out)
"""


def test_the_aws_commands_load_nothing_of_the_local_stack_or_the_market_server(tmp_path: Path) -> None:
    # When every AWS command runs in a fresh interpreter (no MOVERS_LOCAL: the AWS target)
    env = {"PYTHONPATH": f"{ROOT}:{SHARED}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(AWS_COMMANDS), str(report)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    result = json.loads(report.read_text())
    # Then each command reached AWS (made a call, refused) and failed on it
    assert len(result["codes"]) == len(AWS_COMMANDS)
    for argv, code, reached, err in result["codes"]:
        assert code != 0 and reached, (argv, code, err)
    # And nothing of the emulator (nor moto, which it runs on) was loaded
    loaded = [m for m in result["modules"] if m.startswith((*EMULATOR, "moto"))]
    assert loaded == []
    assert {"movers.cli.runs", "movers.cli.trace", "stock_movers.usecases.daily"} <= set(result["modules"])


def test_bench_imports_nothing_from_tests() -> None:
    for name, path in modules(ROOT, "bench").items():
        for target, node, _ in imports(name, path):
            assert target.split(".")[0] != "tests", f"{name}:{node.lineno} imports {target}"
        for call in ast.walk(ast.parse(path.read_text())):  # importlib.import_module("tests...")
            callee = ast.unparse(call.func) if isinstance(call, ast.Call) else ""
            if isinstance(call, ast.Call) and callee.endswith(("import_module", "__import__")):
                named = ast.unparse(call.args[0]) if call.args else ""
                assert "tests" not in named, f"{name}:{call.lineno} imports {named}"


# The pure core: domain/ is the rules, computed the same on AWS, on a laptop and in a property test.
DOMAIN_MAY_IMPORT = {"stock_movers.domain", "holidays"}  # holidays: the NYSE calendar's data, pure Python


def test_the_domain_imports_only_the_standard_library_and_itself() -> None:
    found = {
        (name, imported)
        for name, path in modules(SHARED, "stock_movers/domain").items()
        for imported, _node, _function in imports(name, path)
    }
    assert found, "the scan sees the domain's imports"
    outside = sorted(
        f"{name} imports {imported}"
        for name, imported in found
        if imported.split(".")[0] not in sys.stdlib_module_names
        and not any(imported == ok or imported.startswith(f"{ok}.") for ok in DOMAIN_MAY_IMPORT)
    )
    assert outside == []
