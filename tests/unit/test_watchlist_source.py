"""adapters.watchlist: the configured watchlist read from its S3 object (the version Terraform wrote)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stock_movers.adapters.watchlist import WATCHLIST_KEY, WatchlistSource
from stock_movers.domain.errors import InvalidWatchlist
from stock_movers.domain.inputs import MAX_WATCHLIST, parse_watchlist

BUCKET = "movers-data"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Given a versioned data bucket in an in-process AWS."""
    for name, value in {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def put(s3: Any, tickers: list[str]) -> str:
    body = json.dumps({"tickers": tickers}).encode()
    return str(s3.put_object(Bucket=BUCKET, Key=WATCHLIST_KEY, Body=body)["VersionId"])


def test_the_deployed_version_is_read_even_after_the_object_changed(s3: Any) -> None:
    # Given the version Terraform wrote, then a newer one
    deployed = put(s3, ["AAPL", "MSFT"])
    put(s3, ["TSLA"])
    # When read through the version the function was given, Then it is that version's tickers
    assert WatchlistSource(BUCKET, WATCHLIST_KEY, deployed, s3=s3).tickers() == ("AAPL", "MSFT")
    # And without a version, the current object
    assert WatchlistSource(BUCKET, WATCHLIST_KEY, None, s3=s3).tickers() == ("TSLA",)


def test_a_missing_object_or_version_is_invalid_watchlist_naming_it(s3: Any) -> None:
    with pytest.raises(InvalidWatchlist, match=r"s3://movers-data/config/watchlist.json: not found"):
        WatchlistSource(BUCKET, WATCHLIST_KEY, s3=s3).tickers()
    put(s3, ["AAPL"])
    with pytest.raises(InvalidWatchlist, match=r"\(version nope\): not found"):
        WatchlistSource(BUCKET, WATCHLIST_KEY, "nope", s3=s3).tickers()


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"AAPL,MSFT", "not JSON"),
        (b'["AAPL"]', 'must be a JSON object {"tickers": [...]}'),
        (b'{"tickers": []}', "tickers: must not be empty"),
        (b'{"tickers": ["AAPL", "aapl"]}', "tickers[1]: must be an uppercase symbol"),
        (b'{"tickers": ["AAPL", "AAPL"]}', "tickers: duplicate symbol 'AAPL'"),
        (
            json.dumps({"tickers": [f"T{i:04d}"[:5] for i in range(501)]}).encode(),
            "at most 500 symbols, got 501",
        ),
    ],
)
def test_a_malformed_watchlist_is_invalid_watchlist_saying_why(body: bytes, why: str) -> None:
    with pytest.raises(InvalidWatchlist) as raised:
        parse_watchlist(body, "s3://b/k")
    assert str(raised.value).startswith(f"s3://b/k: {why}")


def test_the_cap_is_500() -> None:
    tickers = [f"{a}{b}{c}" for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJ" for c in "ABCDE"]
    assert MAX_WATCHLIST == 500 == len(parse_watchlist(json.dumps({"tickers": tickers}).encode(), "k"))
