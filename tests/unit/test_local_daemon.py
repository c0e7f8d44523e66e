"""`movers local up` pieces needing no stack: ports, the market URL and key file, apply progress."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from movers.local import daemon
from movers.local.stack import ApplyCounter, StackError


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another process (here: a listening socket) holds."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_a_taken_default_port_is_replaced_by_a_free_one_and_said(
    held_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(daemon.DEFAULT_PORTS, "aws", held_port)
    said: list[str] = []
    chosen = daemon.choose_port("aws", None, said.append)
    assert chosen != held_port and daemon.port_free(chosen)
    assert said == [f"port {held_port} (local AWS) is taken: using {chosen}"]


def test_a_taken_port_that_was_asked_for_is_a_one_line_error(
    held_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOVERS_WEB_PORT", str(held_port))
    with pytest.raises(StackError, match=f"port {held_port} on 127.0.0.1 \\(web") as exc:
        daemon.choose_port("web", daemon.requested_port(None, "web"))
    assert "MOVERS_WEB_PORT" in str(exc.value) and "\n" not in str(exc.value)


def test_port_variables_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOVERS_MARKET_PORT", "80a")
    with pytest.raises(StackError, match="MOVERS_MARKET_PORT must be a port number"):
        daemon.requested_port(None, "market")
    assert daemon.requested_port(9001, "market") == 9001  # a flag wins over the variable


def test_the_key_file_holds_one_key_which_no_error_repeats(tmp_path: Path) -> None:
    good = tmp_path / "key"
    good.write_text("s3cr3t-key\n")
    assert daemon.read_key_file(str(good)) == "s3cr3t-key"
    for content in ("", "two words\n", "a\nb\n"):
        good.write_text(content)
        with pytest.raises(StackError, match="must hold the key alone on one line") as exc:
            daemon.read_key_file(str(good))
        assert "s3cr3t" not in str(exc.value)
    with pytest.raises(StackError, match="cannot read it"):
        daemon.read_key_file(str(tmp_path / "absent"))


@pytest.mark.parametrize(
    "url", ["ftp://x", "127.0.0.1:9000", "http://user:pw@host", "http://host/?apiKey=1", "http://"]
)
def test_market_urls_carry_no_credentials(url: str) -> None:
    with pytest.raises(StackError, match="--market-url"):
        daemon.check_market_url(url)


def test_market_url_is_a_base_url() -> None:
    assert daemon.check_market_url("http://127.0.0.1:9000/") == "http://127.0.0.1:9000"


def test_apply_progress_counts_resources_as_terraform_reports_them() -> None:
    lines: list[str] = []
    counter = ApplyCounter(lines.append, every=0.0)
    for text in [
        "Plan: 3 to add, 1 to change, 0 to destroy.",
        "aws_s3_bucket.data: Creating...",
        "aws_s3_bucket.data: Creation complete after 1s [id=b]",
        "aws_sfn_state_machine.x: Modifications complete after 0s [id=x]",
        "aws_iam_role.r: Creation complete after 0s [id=r]",
        "aws_iam_role.q: Creation complete after 0s [id=q]",
    ]:
        counter.line(text)
    assert lines[0] == "terraform apply: 4 resources to create or change"
    assert [line.split(" (")[0] for line in lines[1:]] == [
        "terraform apply: 1/4 resources", "terraform apply: 2/4 resources",
        "terraform apply: 3/4 resources", "terraform apply: 4/4 resources",
    ]  # fmt: skip


def test_the_daemon_gets_the_key_file_path_never_the_key(tmp_path: Path) -> None:
    from movers.cli import app, local_stack

    key = tmp_path / "key"
    key.write_text("s3cr3t-key\n")
    args = app.parser().parse_args(
        ["local", "up", "--market-url", "http://127.0.0.1:9", "--api-key-file", str(key), "--aws-port", "0"]
    )
    argv = local_stack.daemon_args(args)
    assert argv[argv.index("--api-key-file") + 1] == str(key.resolve())
    assert argv[argv.index("--aws-port") + 1] == "0" and "--web-port" not in argv
    assert not any("s3cr3t" in a for a in argv)


def test_the_local_page_note_says_synthetic_for_the_bundled_server_and_not_for_another() -> None:
    # Given the bundled market server (any object that is not an ExternalMarket; it need not be started)
    # When the local stack picks its page note (the gateway's config.js and Terraform's frontend_data_note)
    # Then it labels the data SYNTHETIC, and a server at another URL gets the neutral external note
    from movers.local.stack import DEMO_NOTE, EXTERNAL_NOTE, ExternalMarket, page_note

    assert page_note(object()) == DEMO_NOTE and "SYNTHETIC" in DEMO_NOTE
    assert page_note(ExternalMarket("https://market.example")) == EXTERNAL_NOTE
    assert "SYNTHETIC" not in EXTERNAL_NOTE


def test_the_daemon_gets_the_universe_flags_and_impossible_ones_are_refused_before_it_starts() -> None:
    # Given `movers local up --universe N --universe-seed S`
    # When the CLI builds the daemon's flags, Then both are passed on; a universe with another market server,
    # a seed without a universe and a universe smaller than the bundled data are named errors up front
    from movers.cli import app, local_stack

    args = app.parser().parse_args(["local", "up", "--universe", "10000", "--universe-seed", "3"])
    argv = local_stack.daemon_args(args)
    assert argv[argv.index("--universe") + 1] == "10000" and argv[argv.index("--universe-seed") + 1] == "3"
    local_stack.check_universe(args)
    assert "--universe" not in local_stack.daemon_args(app.parser().parse_args(["local", "up"]))
    for flags, message in [
        (["--universe", "500", "--market-url", "http://127.0.0.1:9", "--api-key-file", "k"], "--market-url"),
        (["--universe-seed", "3"], "needs --universe"),
        (["--universe", "5"], "the 10 bundled tickers"),
    ]:
        with pytest.raises(local_stack.CliError, match=message):
            local_stack.check_universe(app.parser().parse_args(["local", "up", *flags]))
