"""`movers local up` as a user runs it: with 4566, 8181 and 8080 held by another process it comes up on free
ports and prints them; with `--market-url`/`--api-key-file` it runs against an independent
Massive-compatible server (a second market server with other data, another key and port) and stores that
server's data; a run without --date asks for the last session that server has; the key is in the secret
and nowhere else (not the command line, the logs, the state file or Terraform's state).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import boto3
import pytest

from movers.local.stack import ROOT
from movers.market.dataset import Bar, Dataset, bundled
from movers.market.server import MarketServer
from stock_movers.adapters.storage import ItemStore
from stock_movers.execution_names import daily_execution_name

KEY = "independent-key-7f3a91"
LAST = dt.date(2026, 11, 13)  # the independent server's data ends a week before the bundled data


def other_dataset(seed: int = 7) -> Dataset:
    """The bundled tickers and sessions up to LAST with other prices: each open moved by a seeded amount."""
    rng = random.Random(seed)
    bars = []
    source = bundled()
    for b in (
        b for day in source.sessions if dt.date(2026, 10, 1) <= day <= LAST for b in source.bars_on(day)
    ):
        open_ = (b.close * Decimal(str(1 + rng.uniform(-0.06, 0.06)))).quantize(Decimal("0.0001"))
        bars.append(Bar(b.ticker, b.day, open_, max(b.high, open_, b.close), min(b.low, open_, b.close),
                        b.close, b.volume, "SYNTHETIC-OTHER"))  # fmt: skip
    return Dataset(bars)


def winner(data: Dataset, day: dt.date) -> tuple[str, Decimal]:
    changes = []
    for t in data.tickers:
        bar = data.bar(t, day)
        assert bar is not None
        changes.append((t, ((bar.close - bar.open) / bar.open * 100).quantize(Decimal("0.000001"))))
    return sorted(changes, key=lambda tc: (-abs(tc[1]), tc[0]))[0]


@pytest.fixture
def held_default_ports() -> Iterator[list[int]]:
    """4566, 8181 and 8080 held by another process (or already held by one)."""
    held: list[socket.socket] = []
    for port in (4566, 8181, 8080):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
            held.append(s)
        except OSError:
            s.close()  # someone else holds it already: just as good
    yield [4566, 8181, 8080]
    for s in held:
        s.close()


def movers(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "movers", *args], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


@pytest.mark.timeout(1200)  # a whole stack of its own: terraform apply, then a daily run
def test_local_up_on_taken_ports_against_an_independent_market_server(
    tmp_path: Path, held_default_ports: list[int]
) -> None:
    data = other_dataset()
    key_file = tmp_path / "market.key"
    key_file.write_text(KEY + "\n")
    env = {**os.environ, "MOVERS_STATE_FILE": str(tmp_path / "stack.json")}
    for name in ("MOVERS_AWS_PORT", "MOVERS_MARKET_PORT", "MOVERS_WEB_PORT", "MOVERS_LOCAL"):
        env.pop(name, None)
    with MarketServer(dataset=data, api_key=KEY, rate_limit=(5, 2.0)) as other:
        up = movers(env, "local", "up", "--market-url", other.url, "--api-key-file", str(key_file),
                    "--rate-period", "2")  # fmt: skip
        try:
            assert up.returncode == 0, up.stdout + up.stderr
            out = up.stdout
            # Then it came up on free ports, said so, and printed its URLs
            for port in (4566, 8080):  # the market server is the independent one: 8181 is not needed
                assert f"port {port} (" in out and "is taken: using" in out, out
            assert "terraform apply: " in out and "resources (" in out
            lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1].strip() for line in
                     out.splitlines() if line[:1] != " " and ":" in line}  # fmt: skip
            for label in ("local AWS", "API", "page"):
                assert lines[label].startswith("http://127.0.0.1:"), out
            assert lines["market server"] == other.url
            state = json.loads((tmp_path / "stack.json").read_text())
            assert state["market_latest_session"] == LAST.isoformat()
            assert not any(
                f":{p}" in state[k] for p in held_default_ports for k in ("aws_endpoint", "web_url")
            )

            # When a run starts without --date, it asks for the last session that server has
            run = movers(env, "--local", "run", "--wait")
            assert run.returncode == 0, run.stdout + run.stderr
            assert f"started {daily_execution_name(LAST)}" in run.stdout
            # Then the stored winner is that server's, not the bundled data's
            ddb = boto3.client("dynamodb", endpoint_url=state["aws_endpoint"], region_name="us-east-1",
                               aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
            item = ItemStore(state["outputs"]["table_name"], ddb).winner(LAST)
            assert item is not None
            expected = winner(data, LAST)
            assert (item["Ticker"]["S"], Decimal(item["PercentChange"]["N"])) == expected
            assert expected != winner(bundled(), LAST)
            assert other.stats()["total"] >= 6

            # And the key sits in the secret only
            sm = boto3.client("secretsmanager", endpoint_url=state["aws_endpoint"], region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip
            secret = sm.get_secret_value(SecretId=state["outputs"]["api_key_secret_arn"])
            assert secret["SecretString"] == KEY
            seen = [out, up.stderr, run.stdout, run.stderr, (tmp_path / "stack.json").read_text()]
            # (the local AWS's own store under stack/aws holds the secret: that is the secret store itself)
            seen += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()
                     and p.suffix in (".log", ".progress", ".tfstate", ".json")
                     and "aws" not in p.relative_to(tmp_path).parts]  # fmt: skip
            seen.append(Path(f"/proc/{state['pid']}/cmdline").read_bytes().decode(errors="replace"))
            assert not [text[:80] for text in seen if KEY in text]
        finally:
            down = movers(env, "local", "down", timeout=120)
            assert down.returncode == 0, down.stderr
