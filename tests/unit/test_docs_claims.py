"""What the docs say about the code, checked against the code: the ETag, the demo, the backfill example."""

from __future__ import annotations

import re
import sys

from movers.cli import app
from movers.cli.backfill import request
from movers.local.stack import ROOT

CLI_MD = (ROOT / "docs" / "cli.md").read_text()


def test_api_docs_describe_the_etag_the_api_sends() -> None:
    api_dir = str(ROOT / "functions" / "api")
    if api_dir not in sys.path:
        sys.path.insert(0, api_dir)
    from movers_api.responses import etag_of

    tag = etag_of("[]")
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    api_md = (ROOT / "docs" / "api.md").read_text()
    assert "the first 32 hex digits of the SHA-256 of the exact body" in api_md


def test_the_demo_description_matches_its_defaults() -> None:
    demo = app.parser().parse_args(["demo"])
    assert demo.days == 40
    section = CLI_MD[CLI_MD.index("## `movers demo") :]
    assert f"(default {demo.days}," in section and "default the last 7" not in section


def test_the_backfill_example_shows_the_name_the_cli_builds() -> None:
    match = re.search(r"\$ movers --local backfill --from (\S+) --to (\S+) --wait\nstarted (\S+)", CLI_MD)
    assert match is not None
    assert request(match.group(1), match.group(2), None, False)[0] == match.group(3)
    assert f"$ movers --local trace {match.group(3)}" in CLI_MD


def test_the_readme_names_python_312_and_the_port_variables() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "Python 3.12" in readme and "3.11+" not in readme
    for variable in ("MOVERS_AWS_PORT", "MOVERS_MARKET_PORT", "MOVERS_WEB_PORT", "MARKET_URL"):
        assert variable in readme
