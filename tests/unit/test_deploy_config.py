"""Deployment configuration without servers: the backend files `make bootstrap` writes, the local AWS's
backend settings, and the environments' tfvars against the stack's variables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from movers.backends import (
    BackendFilesError,
    local_backend_overrides,
    main,
    parse_backend_files,
    write_backend_files,
)

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infrastructure"


def _file(env: str) -> str:
    return (
        'bucket       = "stock-movers-tfstate-123456789012"\n'
        f'key          = "stock-movers/{env}/terraform.tfstate"\n'
        'region       = "us-east-1"\nencrypt      = true\nuse_lockfile = true\n'
    )


def test_backend_files_are_written_one_per_environment(tmp_path: Path) -> None:
    # Given the bootstrap's backend_files output for dev and prod
    document = json.dumps({"dev": _file("dev"), "prod": _file("prod")})
    # When written
    written = write_backend_files(parse_backend_files(document), tmp_path)
    # Then each environment has its own file with its own key
    assert [p.name for p in written] == ["dev.backend.hcl", "prod.backend.hcl"]
    assert (
        'key          = "stock-movers/prod/terraform.tfstate"' in (tmp_path / "prod.backend.hcl").read_text()
    )


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("not json", "not JSON"),
        ("{}", "non-empty"),
        (json.dumps({"qa": _file("qa")}), "unknown environment 'qa'"),
        (json.dumps({"dev": _file("dev").replace("use_lockfile = true\n", "")}), "no use_lockfile"),
        (json.dumps({"dev": _file("prod")}), "does not name a state key of dev"),
        (json.dumps({"dev": 3}), "not text"),
    ],
)
def test_a_wrong_backend_files_output_is_refused_by_name(document: str, reason: str, tmp_path: Path) -> None:
    with pytest.raises(BackendFilesError, match=re.escape(reason)):
        parse_backend_files(document)


def test_the_cli_writes_nothing_from_a_wrong_output(tmp_path: Path, monkeypatch, capsys) -> None:
    # Given an output with one good and one wrong environment, When the CLI runs, Then nothing is written
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"dev": _file("dev"), "qa": _file("qa")})))
    assert main(["--write", str(tmp_path)]) == 2
    assert list(tmp_path.iterdir()) == []
    assert "unknown environment 'qa'" in capsys.readouterr().err


def test_local_overrides_point_at_the_local_aws_and_nothing_else() -> None:
    text = local_backend_overrides("http://127.0.0.1:4566")
    assert 's3 = "http://127.0.0.1:4566"' in text and "use_path_style              = true" in text
    # they override no setting an environment's file holds
    for setting in ("bucket", "key", "region", "encrypt", "use_lockfile"):
        assert not re.search(rf"^{setting}\s*=", text, re.MULTILINE)


def _root_variables() -> set[str]:
    return {
        m for f in INFRA.glob("*.tf") for m in re.findall(r'^variable "([a-z0-9_]+)"', f.read_text(), re.M)
    }


def test_the_tfvars_example_lists_every_variable() -> None:
    example = (INFRA / "terraform.tfvars.example").read_text()
    listed = set(re.findall(r"^#?\s*([a-z][a-z0-9_]*)\s+=", example, re.MULTILINE))
    assert _root_variables() - listed == set()
    assert listed - _root_variables() == set()  # and nothing that is not a variable


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "local"])
def test_each_environment_sets_only_real_variables_and_its_account_guard(env: str) -> None:
    text = (INFRA / "environments" / f"{env}.tfvars").read_text()
    names = set(re.findall(r"^([a-z][a-z0-9_]*)\s+=", text, re.MULTILINE))
    assert names <= _root_variables(), names - _root_variables()
    assert f'environment         = "{env}"' in text
    assert "allowed_account_ids" in names


def test_dev_runs_and_notifies_nothing_by_itself_while_staging_and_prod_do() -> None:
    def settings(env: str) -> str:
        return (INFRA / "environments" / f"{env}.tfvars").read_text()

    assert re.search(r"^schedule_enabled\s+= false", settings("dev"), re.MULTILINE)
    assert re.search(r"^alarm_notifications_enabled = false", settings("dev"), re.MULTILINE)
    for env in ("staging", "prod"):
        assert re.search(r"^schedule_enabled\s+= true", settings(env), re.MULTILINE)
        assert re.search(r"^alarm_notifications_enabled = true", settings(env), re.MULTILINE)
