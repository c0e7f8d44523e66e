"""The local stack as one object: local AWS, market server, the Terraform stack applied, the API key set.

Used by the tests (one stack per session), `make demo` and `movers local up`. Terraform runs exactly as for
AWS, with the `local` environment's tfvars plus the ports this stack started, and with the same S3 backend
(lock file on): its state object lives in a state bucket on this stack's local S3 and its plugin data under
the stack's own directory, so a test stack never touches a developer's state.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from movers.backends import local_backend_overrides
from movers.local.server import LocalAws
from movers.terraform import ROOT, TF_DIR, terraform_env

DIST_DIR = ROOT / "build" / "dist"
LOCAL_API_KEY = "local-demo-key"  # the local market server's key; a real key never goes here
LOCAL_STATE_BUCKET = "stock-movers-tfstate-local"
# The page's footer note (config.js dataNote) on a local stack: the bundled server's data is SYNTHETIC, and
# a server at another URL is whatever that server serves. On AWS, Terraform's default is the configured
# provider's data-licence note instead (infrastructure/frontend.tf).
DEMO_NOTE = "SYNTHETIC data from the local market server: not real prices."
EXTERNAL_NOTE = "Data from the market server at the configured URL."


class StackError(RuntimeError):
    """The local stack could not be brought up (a one-line reason)."""


@dataclass(frozen=True)
class ExternalMarket:
    """A Massive-compatible market server the stack does not run (`movers local up --market-url`)."""

    url: str


def page_note(market: Any) -> str:
    """The footer note of a local stack's page for `market` (an ExternalMarket or the bundled server)."""
    return EXTERNAL_NOTE if isinstance(market, ExternalMarket) else DEMO_NOTE


Progress = Callable[[str], None]

_PLAN = re.compile(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy")
_DONE = re.compile(r": (Creation|Modifications|Destruction) complete after ")


class ApplyCounter:
    """Counts a `terraform apply`'s resources as its output streams: the plan's total, then each one done."""

    def __init__(self, report: Progress, every: float = 5.0) -> None:
        self.report, self.every = report, every
        self.total = self.done = 0
        self.started = time.monotonic()
        self._last = float("-inf")

    def line(self, text: str) -> None:
        plan = _PLAN.search(text)
        if plan:
            self.total = sum(int(n) for n in plan.groups())
            self.report(f"terraform apply: {self.total} resources to create or change")
        elif _DONE.search(text):
            self.done += 1
            now = time.monotonic()
            if now - self._last >= self.every or self.done == self.total:
                self._last = now
                self.report(
                    f"terraform apply: {self.done}/{self.total or '?'} resources ({now - self.started:.0f} s)"
                )


def require_terraform() -> str:
    path = shutil.which("terraform")
    if path is None:
        raise StackError(
            "terraform not found: install Terraform >= 1.6 (https://developer.hashicorp.com/terraform/install)"
        )
    return path


def write_local_backend(path: Path, endpoint: str, bucket: str, key: str) -> Path:
    """A backend file for the S3 backend on the local AWS: the environment's settings (as the bootstrap
    writes them for AWS) plus :func:`local_backend_overrides`. Returns `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'bucket       = "{bucket}"\nkey          = "{key}"\nregion       = "us-east-1"\n'
        "encrypt      = true\nuse_lockfile = true\n" + local_backend_overrides(endpoint)
    )
    return path


@dataclass
class Terraform:
    """terraform against infrastructure/ with a private data dir and the S3 backend in `backend_file`."""

    work_dir: Path
    variables: dict[str, Any] = field(default_factory=dict)
    var_file: Path = TF_DIR / "environments" / "local.tfvars"
    backend_file: Path | None = None
    progress: Progress | None = None

    @property
    def state(self) -> Path:
        """A fresh copy of the state (`terraform state pull` from the backend) in the work dir."""
        pulled = self._run("state", "pull", capture=True).stdout
        path = self.work_dir / "terraform.tfstate"
        path.write_text(pulled)
        return path

    def _run(self, *args: str, capture: bool = False) -> subprocess.CompletedProcess[str]:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        cmd = [require_terraform(), f"-chdir={TF_DIR}", *args]
        proc = subprocess.run(
            cmd, env=terraform_env(self.work_dir / ".terraform"), text=True, capture_output=True, check=False
        )
        (self.work_dir / "terraform.log").open("a").write(
            f"$ {' '.join(args)}\n{proc.stdout}\n{proc.stderr}\n"
        )
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-12:]
            raise StackError(f"terraform {args[0]} failed:\n" + "\n".join(tail))
        return proc

    def _var_args(self) -> list[str]:
        args = [f"-var-file={self.var_file}"]
        for name, value in sorted(self.variables.items()):
            rendered = json.dumps(value) if not isinstance(value, str) else value
            args.append(f"-var={name}={rendered}")
        return args

    def init(self) -> None:
        if self.backend_file is None:
            raise StackError("no backend file: the stack keeps its state in the S3 backend")
        self._run("init", "-input=false", "-no-color", "-reconfigure", f"-backend-config={self.backend_file}")

    def apply(self) -> float:
        started = time.monotonic()
        args = (
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            *self._var_args(),
        )
        if self.progress is None:
            self._run(*args)
        else:
            self._stream(args, ApplyCounter(self.progress).line)
        return time.monotonic() - started

    def _stream(self, args: tuple[str, ...], on_line: Callable[[str], None]) -> None:
        """Like _run, feeding each output line to `on_line` as terraform prints it (the live count)."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        cmd = [require_terraform(), f"-chdir={TF_DIR}", *args]
        lines: list[str] = []
        with (self.work_dir / "terraform.log").open("a") as log:
            log.write(f"$ {' '.join(args)}\n")
            proc = subprocess.Popen(
                cmd, env=terraform_env(self.work_dir / ".terraform"), text=True,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )  # fmt: skip
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                lines.append(line.rstrip("\n"))
                on_line(line)
            code = proc.wait()
        if code != 0:
            raise StackError(f"terraform {args[0]} failed:\n" + "\n".join(lines[-12:]))

    def plan_changes(self) -> list[str]:
        """The resource changes a plan would make, as "address: actions" (empty = no drift)."""
        plan = self.work_dir / "check.tfplan"
        self._run("plan", "-input=false", "-no-color", f"-out={plan}", *self._var_args())
        shown = self._run("show", "-json", str(plan), capture=True)
        changes = json.loads(shown.stdout).get("resource_changes", [])
        out = []
        for c in changes:
            if c["change"]["actions"] in (["no-op"], ["read"]):
                continue
            before, after = c["change"].get("before") or {}, c["change"].get("after") or {}
            diff = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
            out.append(f"{c['address']}: {'/'.join(c['change']['actions'])} {diff}")
        return out

    def destroy(self) -> None:
        self._run("destroy", "-auto-approve", "-input=false", "-no-color", *self._var_args())

    def outputs(self) -> dict[str, Any]:
        shown = self._run("output", "-json", capture=True)
        return {k: v["value"] for k, v in json.loads(shown.stdout).items()}


@dataclass
class LocalStack:
    """Local AWS + market server + applied Terraform stack. `start()` returns the Terraform outputs."""

    work_dir: Path
    aws_port: int = 0
    time_scale: float = 1.0
    # a started movers.market.server.MarketServer, an ExternalMarket, or None to start the bundled one
    market: Any = None
    market_rate_limit: tuple[int, float] | None = (5, 60.0)
    # the bundled server serves a generated SYNTHETIC universe of this many tickers (None: the bundled data)
    market_universe: int | None = None
    market_universe_seed: int = 1
    variables: dict[str, Any] = field(default_factory=dict)
    # the key put into the Secrets Manager secret after apply (never a Terraform variable: it would sit
    # in the state); the bundled server's demo key unless the stack runs against another server
    api_key: str = field(default=LOCAL_API_KEY, repr=False)
    progress: Progress | None = None
    aws: LocalAws | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    _own_market: bool = False

    def start(self) -> dict[str, Any]:
        require_terraform()
        if not (DIST_DIR / "layers" / "deps.zip").exists():
            raise StackError("build/dist is missing: run `make build-local` first")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.aws = LocalAws(port=self.aws_port, time_scale=self.time_scale, state_dir=self.work_dir / "aws")
        endpoint = self.aws.start()
        self.timings["localaws_start_s"] = self.aws.start_seconds
        if self.market is None:
            from movers.market.server import MarketServer

            self.market = MarketServer(
                api_key=LOCAL_API_KEY,
                rate_limit=self.market_rate_limit,
                universe=self.market_universe,
                universe_seed=self.market_universe_seed,
            )
            self.market.start()
            self._own_market = True
        variables = {
            "local_endpoint": endpoint,
            "provider_base_url": self.market.url,
            "dist_dir": str(DIST_DIR),
            # the layers in build/dist were built for the host so their native wheels import locally
            "lambda_architecture": (DIST_DIR / "ARCH").read_text().strip(),
            # the page's config.js in the local AWS says what the locally served page says
            "frontend_data_note": page_note(self.market),
            **self.variables,
        }
        if self.market_rate_limit is not None and "rate_limit_calls" not in variables:
            variables["rate_limit_calls"] = self.market_rate_limit[0]
            variables["rate_limit_period_seconds"] = self.market_rate_limit[1]
        self.client("s3").create_bucket(Bucket=LOCAL_STATE_BUCKET)
        backend = write_local_backend(
            self.work_dir / "tf" / "local.backend.hcl", endpoint, LOCAL_STATE_BUCKET,
            "stock-movers/local/terraform.tfstate",
        )  # fmt: skip
        self.terraform = Terraform(
            self.work_dir / "tf", variables, backend_file=backend, progress=self.progress
        )
        started = time.monotonic()
        self._report("terraform init")
        self.terraform.init()
        self.timings["terraform_init_s"] = time.monotonic() - started
        self._report("terraform apply (about 2 minutes)")
        self.timings["terraform_apply_s"] = self.terraform.apply()
        self.outputs = self.terraform.outputs()
        # Terraform creates the secret without a value; the key goes in through the API only
        self.client("secretsmanager").put_secret_value(
            SecretId=self.outputs["api_key_secret_arn"], SecretString=self.api_key
        )
        # failover providers (variables' failover_providers): the local server takes the same key for all
        for arn in self.outputs.get("failover_api_key_secret_arns") or []:
            self.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=self.api_key)
        return self.outputs

    def _report(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def client(self, service: str) -> Any:
        import boto3

        assert self.aws is not None, "stack not started"
        return boto3.client(
            service,
            endpoint_url=self.aws.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106 - the local AWS's dummy credentials
        )

    def release_function(self, name: str, **config: Any) -> str:
        """Changes a function's configuration the way `terraform apply` does: update $LATEST, publish a
        version, move the `live` alias (what state machines, schedules and the API invoke) to it; a change to
        $LATEST alone reaches no caller. Returns the version `live` pointed at before."""
        lam = self.client("lambda")
        before = str(lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"])
        lam.update_function_configuration(FunctionName=name, **config)
        version = lam.publish_version(FunctionName=name)["Version"]
        lam.update_alias(FunctionName=name, Name="live", FunctionVersion=version)
        return before

    @contextlib.contextmanager
    def released(self, name: str, **config: Any) -> Iterator[None]:
        """A configuration change released to `live` for the block; after it, $LATEST gets its old values
        back, `live` its old version (as `make rollback` does), and the version published for the block is
        deleted: Terraform reads a published function's `version` as its newest published version, so a
        left-over one is what the next `terraform apply` (and a release ledger entry, and a rollback to it)
        would put behind `live`, with the block's configuration."""
        lam = self.client("lambda")
        current = lam.get_function_configuration(FunctionName=name)
        saved = {key: current[key] for key in config}
        if "Environment" in saved:  # the response may add an Error member the update refuses
            saved["Environment"] = {"Variables": saved["Environment"].get("Variables", {})}
        before = self.release_function(name, **config)
        published = str(lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"])
        try:
            yield
        finally:
            lam.update_function_configuration(FunctionName=name, **saved)
            lam.update_alias(FunctionName=name, Name="live", FunctionVersion=before)
            # (a version published after it, by a nested block, is then the newest and goes with its block)
            if published != before and self._newest_version(name) == published:
                lam.delete_function(FunctionName=name, Qualifier=published)

    def _newest_version(self, name: str) -> str:
        lam, versions = self.client("lambda"), []
        for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name):
            versions += [v["Version"] for v in page["Versions"] if v["Version"] != "$LATEST"]
        return max(versions, key=int, default="")

    def stop(self) -> None:
        if self._own_market and self.market is not None:
            self.market.stop()
        if self.aws is not None:
            self.aws.stop()
