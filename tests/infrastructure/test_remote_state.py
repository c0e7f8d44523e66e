"""Remote state per environment, on the local AWS: `make bootstrap` applied to a fresh local AWS writes
the backend files; the main stack, initialised with an environment's backend file exactly as `make deploy`
does (`init -reconfigure -backend-config=environments/<env>.backend.hcl`, plus the local AWS's endpoint
settings as a second file), is applied for dev and staging from one data dir; each environment has its own
state object, and while one process holds an environment's lock a second apply is refused.

The applies are targeted at two small resources (the control table and the alerts topic: neither has a
provider-side consistency waiter, which for an SQS queue alone is 26 s) so the test stays within a minute: the backend, its lock and the state objects are the same as for a full apply, which
the local stack (tests/conftest.py) already performs through the same S3 backend.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from movers.backends import local_backend_overrides
from movers.local.server import LocalAws
from movers.local.stack import DIST_DIR, ROOT, TF_DIR
from tests.infrastructure.conftest import terraform

REPO = "example-org/stock-movers"
TARGETS = ("-target=aws_dynamodb_table.control", "-target=aws_sns_topic.alerts")


@dataclass
class Account:
    endpoint: str
    work: Path
    bootstrap_state: dict[str, Any]
    outputs: dict[str, Any]
    environments: Path  # the written backend files
    data_dir: Path  # one .terraform for the main stack, re-initialised per environment like the Makefile's

    def s3(self) -> Any:
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip

    def init(self, env: str) -> None:
        overrides = self.work / "local.backend.hcl"
        overrides.write_text(local_backend_overrides(self.endpoint))
        terraform(
            self.data_dir, "init", "-input=false", "-no-color", "-reconfigure",
            f"-backend-config={self.environments / f'{env}.backend.hcl'}", f"-backend-config={overrides}",
        )  # fmt: skip

    def var_args(self, env: str, account: str = "123456789012") -> list[str]:
        # the environment's own tfvars from the repository, pointed at the local AWS
        return [
            f"-var-file=environments/{env}.tfvars", f"-var=local_endpoint={self.endpoint}",
            f'-var=allowed_account_ids=["{account}"]', f"-var=dist_dir={DIST_DIR}",
            "-var=lambda_architecture=x86_64",
        ]  # fmt: skip

    def apply(self, env: str, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return terraform(
            self.data_dir, "apply", "-auto-approve", "-input=false", "-no-color", *TARGETS,
            *self.var_args(env), *extra, check=check,
        )  # fmt: skip


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Account]:
    """Given a fresh local AWS bootstrapped by `make bootstrap` (state bucket, OIDC roles, the backend files
    written from its outputs), run on a copy of infrastructure/bootstrap (and the module it uses) so the
    checkout is untouched."""
    work = tmp_path_factory.mktemp("remote-state")
    infra = work / "infrastructure"
    ignore = shutil.ignore_patterns(".terraform*", "*.tfstate*")
    shutil.copytree(TF_DIR / "bootstrap", infra / "bootstrap", ignore=ignore)
    # the bootstrap's state bucket is the private_bucket module (../modules/private_bucket)
    shutil.copytree(
        TF_DIR / "modules" / "private_bucket", infra / "modules" / "private_bucket", ignore=ignore
    )
    (infra / "environments").mkdir()
    shutil.copy(TF_DIR / "terraformrc.local", infra)  # the Makefile reads its CLI config under TF_DIR
    with LocalAws(port=0) as aws:
        proc = subprocess.run(
            ["make", "--no-print-directory", "bootstrap", f"TF_DIR={infra}", f"GITHUB_REPOSITORY={REPO}",
             f"BOOTSTRAP_FLAGS=-auto-approve -no-color -var=local_endpoint={aws.endpoint}"],
            cwd=ROOT, env=_env(work / ".terraform-bootstrap"), capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        assert "account: 123456789012" in proc.stdout
        shown = terraform(work / ".terraform-bootstrap", "output", "-json", cwd=infra / "bootstrap").stdout
        outputs = {k: v["value"] for k, v in json.loads(shown).items()}
        state = json.loads((infra / "bootstrap" / "terraform.tfstate").read_text())
        yield Account(aws.endpoint, work, state, outputs, infra / "environments", work / ".terraform")


def _state_object(account: Account, env: str) -> dict[str, Any]:
    body = account.s3().get_object(
        Bucket=account.outputs["state_bucket"], Key=f"stock-movers/{env}/terraform.tfstate"
    )
    return json.loads(body["Body"].read())


def _names(state: dict[str, Any]) -> set[str]:
    return {
        str(i["attributes"].get("name", "")) for r in state["resources"] if r["mode"] == "managed"
        for i in r["instances"]
    }  # fmt: skip


def test_bootstrap_writes_one_backend_file_per_environment(account: Account) -> None:
    # Then each environment's file names the bootstrapped bucket, its own key and the lock file
    assert account.outputs["account_id"] == "123456789012"
    for env in ("dev", "staging", "prod"):
        text = (account.environments / f"{env}.backend.hcl").read_text()
        assert f'bucket       = "{account.outputs["state_bucket"]}"' in text
        assert f'key          = "stock-movers/{env}/terraform.tfstate"' in text
        assert "use_lockfile = true" in text
        assert "endpoint" not in text and "skip_" not in text  # no local-AWS setting in an AWS backend file
    # And the state bucket is versioned
    versioning = account.s3().get_bucket_versioning(Bucket=account.outputs["state_bucket"])
    assert versioning["Status"] == "Enabled"


def test_two_environments_keep_separate_state_objects(account: Account) -> None:
    # When dev and then staging are applied from one checkout, re-initialised per environment (-reconfigure)
    for env in ("dev", "staging"):
        account.init(env)
        account.apply(env)
    # Then the bucket holds one state object per environment and no lock is left behind
    keys = {
        o["Key"]
        for o in account.s3().list_objects_v2(Bucket=account.outputs["state_bucket"]).get("Contents", [])
    }
    assert keys == {"stock-movers/dev/terraform.tfstate", "stock-movers/staging/terraform.tfstate"}
    # And each holds only its own environment's resources
    dev, staging = _state_object(account, "dev"), _state_object(account, "staging")
    assert _names(dev) == {"stock-movers-dev-control", "stock-movers-dev-alerts"}
    assert _names(staging) == {"stock-movers-staging-control", "stock-movers-staging-alerts"}
    assert dev["lineage"] != staging["lineage"]
    # And a plan of dev after staging's init sees dev's state, not staging's (no change to make)
    account.init("dev")
    plan = terraform(
        account.data_dir, "plan", "-input=false", "-no-color", "-detailed-exitcode", *TARGETS,
        *account.var_args("dev"), check=False,
    )  # fmt: skip
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr[-2000:]


def test_a_second_apply_is_refused_while_the_lock_is_held(account: Account) -> None:
    account.init("dev")
    lock_key = "stock-movers/dev/terraform.tfstate.tflock"
    bucket = account.outputs["state_bucket"]
    # Given a terraform process holding dev's lock (`terraform console` holds it until it exits)
    holder = subprocess.Popen(
        ["terraform", f"-chdir={TF_DIR}", "console", *account.var_args("dev")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=_env(account.data_dir),
    )  # fmt: skip
    try:
        lock = _wait_for_object(account, bucket, lock_key, timeout=60)
        # When a second apply of dev starts (no waiting for the lock)
        refused = account.apply("dev", "-lock-timeout=0s", check=False)
        # Then it is refused by the lock, naming the holder's lock id, and changes nothing
        output = refused.stdout + refused.stderr
        assert refused.returncode != 0
        assert "Error acquiring the state lock" in output, output[-2000:]
        assert json.loads(lock)["ID"] in output
    finally:
        holder.communicate(input="", timeout=60)  # end of input: the console exits and releases the lock
    # And once the holder is gone the lock file is removed and the same apply succeeds
    assert lock_key not in {o["Key"] for o in account.s3().list_objects_v2(Bucket=bucket).get("Contents", [])}
    account.apply("dev", "-lock-timeout=0s")


def test_an_environment_refuses_an_account_it_does_not_allow(account: Account) -> None:
    # Given dev's tfvars allowing another account than the local AWS's, When planned, Then it fails at once
    account.init("dev")
    proc = terraform(
        account.data_dir, "plan", "-input=false", "-no-color", "-refresh=false", "-lock=false", *TARGETS,
        *account.var_args("dev", account="111111111111"), check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "123456789012" in proc.stderr and "not allowed" in proc.stderr.lower(), proc.stderr[-2000:]


def test_github_roles_trust_only_the_repository_and_its_environments(account: Account) -> None:
    # Given the bootstrap's IAM resources
    resources = {
        f"{r['type']}.{r['name']}[{i.get('index_key')}]": i["attributes"]
        for r in account.bootstrap_state["resources"] if r["mode"] == "managed" for i in r["instances"]
    }  # fmt: skip
    (oidc,) = [a for k, a in resources.items() if k.startswith("aws_iam_openid_connect_provider.")]
    assert oidc["url"].endswith("token.actions.githubusercontent.com")
    assert oidc["client_id_list"] == ["sts.amazonaws.com"]
    for env in ("dev", "staging", "prod"):
        for kind, subject in (
            ("plan", f"repo:{REPO}:pull_request"),
            ("deploy", f"repo:{REPO}:environment:{env}"),
        ):
            role = resources[f"aws_iam_role.github[{env}-{kind}]"]
            assert role["name"] == f"stock-movers-{env}-github-{kind}"
            (statement,) = json.loads(role["assume_role_policy"])["Statement"]
            # Then each role is assumable only by web identity with GitHub's audience and the exact subject
            assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
            assert statement["Condition"]["StringEquals"] == {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": subject,
            }
            policy = json.loads(resources[f"aws_iam_role_policy.github[{env}-{kind}]"]["policy"])
            _assert_least_privilege(policy, env, write=kind == "deploy")


UNSCOPED = {
    "logs:DescribeLogGroups", "states:ValidateStateMachineDefinition", "cloudfront:ListCachePolicies",
    "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
}  # fmt: skip
READ_VERBS = ("Get", "List", "Describe", "ValidateStateMachineDefinition")


def _assert_least_privilege(policy: dict[str, Any], env: str, write: bool) -> None:
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        assert statement["Effect"] == "Allow"
        for action in actions:
            # no wildcard service access
            assert action != "*" and not action.endswith(":*"), action
            # the plan role reads only
            if not write:
                verb = action.split(":", 1)[1]
                assert verb.startswith(READ_VERBS) or action == "apigateway:GET", action
            # and never reads a secret's value
            assert action != "secretsmanager:GetSecretValue"
        if "*" in resources:
            assert set(actions) <= UNSCOPED, actions
            continue
        # every other resource names this environment's prefix, its state object, or an id AWS picks
        for resource in resources:
            assert (
                f"stock-movers-{env}-" in resource
                or f"stock-movers-{env}/" in resource
                or f"/stock-movers/{env}/terraform.tfstate" in resource
                or resource.endswith("-tfstate-123456789012")
                or ":apigateway:" in resource
                or ":cloudfront::" in resource
            ), resource


def _env(data_dir: Path) -> dict[str, str]:
    from movers.local.stack import terraform_env

    return terraform_env(data_dir)


def _wait_for_object(account: Account, bucket: str, key: str, timeout: float) -> str:
    s3 = account.s3()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        except s3.exceptions.NoSuchKey:
            time.sleep(0.2)
    raise AssertionError(f"{key} never appeared: the lock holder did not take the lock")
