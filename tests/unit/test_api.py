"""The read API's handler, driven with API Gateway REST proxy events against an in-process moto table."""

from __future__ import annotations

import importlib.util
import json
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from stock_movers.adapters.storage import ANALYSIS_PK, WINNER_PK, ticker_pk
from stock_movers.execution_names import daily_execution_name, execution_arn

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:ingest"

API_DIR = Path(__file__).resolve().parents[2] / "functions" / "api"
if str(API_DIR) not in sys.path:
    sys.path.insert(0, str(API_DIR))

TABLE = "movers-test"
# The API reads its settings at import (movers_api.settings): import it afresh with this table's name.
for _name in [m for m in sys.modules if m == "movers_api" or m.startswith("movers_api.")]:
    del sys.modules[_name]
with pytest.MonkeyPatch.context() as _env:
    _env.setenv("TABLE_NAME", TABLE)
    from movers_api import store

WINNERS = [
    # (date, ticker, pct, close)
    ("2026-01-02", "AAPL", "1.234567", "187.44"),
    ("2026-01-05", "TSLA", "-5.123456", "240.1"),
    ("2026-01-06", "NVDA", "3.5", "140"),
    ("2026-01-07", "AMD", "-0.000001", "120.55"),
    ("2026-01-08", "MSFT", "2.000000", "410.25"),
    ("2026-01-09", "META", "4.999999", "600.123456"),
    ("2026-01-12", "AMZN", "-2.25", "220.5"),
    ("2026-01-13", "GOOG", "0.5", "190.75"),
    ("2026-01-14", "NFLX", "7.654321", "88.8"),
]


def load_handler() -> Any:
    """functions/api/app.py as Lambda loads it (the zip root on sys.path), under a unique module name."""
    spec = importlib.util.spec_from_file_location("movers_api_lambda_app", API_DIR / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


with pytest.MonkeyPatch.context() as _env:
    _env.setenv("TABLE_NAME", TABLE)
    HANDLER = load_handler()


def proxy_event(
    path: str,
    *,
    resource: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    path_params: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A minimal REST proxy event (payload 1.0) as API Gateway sends it."""
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} if headers else None,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": path_params,
        "stageVariables": None,
        "requestContext": {
            "requestId": "req-123",
            "stage": "v1",
            "path": f"/v1{path}",
            "httpMethod": method,
            "resourcePath": resource or path,
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


@pytest.fixture
def lambda_context() -> SimpleNamespace:
    return SimpleNamespace(
        function_name="movers-api",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:movers-api",
        aws_request_id="lambda-req-1",
    )


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("TABLE_NAME", TABLE)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        store.set_client(None)  # a fresh lazy client inside this mock
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        tbl = resource.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield tbl
        store.set_client(None)


@pytest.fixture
def seeded(table: Any) -> Any:
    for date, ticker, pct, close in WINNERS:
        table.put_item(
            Item={
                "pk": WINNER_PK,
                "sk": date,
                "Date": date,
                "Ticker": ticker,
                "PercentChange": Decimal(pct),
                "ClosingPrice": Decimal(close),
                "Open": Decimal("100"),
                "Provider": "local",
                "ExecutionArn": execution_arn(MACHINE, daily_execution_name(date)),
                "StoredAt": "2026-01-14T21:30:00Z",
            }
        )
    for i, date in enumerate(["2026-01-12", "2026-01-13", "2026-01-14"]):
        table.put_item(
            Item={
                "pk": ticker_pk("BRK.B"),
                "sk": date,
                "Date": date,
                "Ticker": "BRK.B",
                "Open": Decimal("450.5"),
                "High": Decimal("455"),
                "Low": Decimal("449.25"),
                "Close": Decimal("452") + i,
                "Volume": Decimal("3100000"),
                "PercentChange": Decimal("0.332963"),
            }
        )
    return table


def call(event: dict[str, Any], context: Any) -> tuple[int, dict[str, str], str]:
    response = HANDLER(event, context)
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for k, values in (response.get("multiValueHeaders") or {}).items():
        headers[k.lower()] = ",".join(values)
    return response["statusCode"], headers, response.get("body") or ""


# --- GET /movers -----------------------------------------------------------------------------------------


def test_given_nine_winners_when_get_movers_then_seven_newest_first_with_exact_keys(seeded, lambda_context):
    status, headers, body = call(proxy_event("/movers"), lambda_context)
    assert status == 200
    items = json.loads(body)
    expected_dates = sorted((w[0] for w in WINNERS), reverse=True)[:7]
    assert [i["Date"] for i in items] == expected_dates
    for item in items:
        assert list(item) == ["Date", "Ticker", "PercentChange", "ClosingPrice"]
        assert isinstance(item["PercentChange"], (int, float)) and not isinstance(item["PercentChange"], bool)
        assert isinstance(item["ClosingPrice"], (int, float))
    assert headers["content-type"].startswith("application/json")


def test_given_six_decimal_places_when_serialised_then_digits_are_kept(seeded, lambda_context):
    _, _, body = call(proxy_event("/movers", query={"limit": "30"}), lambda_context)
    by_date = {i["Date"]: i for i in json.loads(body)}
    for date, _ticker, pct, close in WINNERS:
        assert Decimal(repr(by_date[date]["PercentChange"])) == Decimal(pct)
        assert Decimal(repr(by_date[date]["ClosingPrice"])) == Decimal(close)
    assert isinstance(by_date["2026-01-06"]["ClosingPrice"], int)  # a whole Decimal becomes an int


@pytest.mark.parametrize("limit", ["1", "3", "30"])
def test_given_valid_limit_when_get_movers_then_at_most_limit_items(seeded, lambda_context, limit):
    _, _, body = call(proxy_event("/movers", query={"limit": limit}), lambda_context)
    assert len(json.loads(body)) == min(int(limit), len(WINNERS))


HOSTILE_COUNTS = [
    "0",
    "31",
    "abc",
    "1.5",
    "5.0",
    "",
    "-1",
    "-0",
    "1e3",
    "1e1",
    "+5",  # int() accepts a sign
    " 5",  # %20: int() strips whitespace
    "5 ",
    "5\n",  # %0A
    "\t5",
    "05",  # a second spelling of 5: refused (one canonical form per value)
    "007",
    "1_0",  # int() accepts digit separators
    "0x5",
    "\uff15",  # fullwidth 5: str.isdigit() and int() accept it
    "\u0665",  # Arabic-Indic 5
    "\u00b2",  # superscript two: str.isdigit() is True
    "5" * 40,  # overlong
    "0" * 40 + "5",
]


@pytest.mark.parametrize("limit", HOSTILE_COUNTS)
def test_given_bad_limit_when_get_movers_then_400_with_the_error_shape(seeded, lambda_context, limit):
    status, headers, body = call(proxy_event("/movers", query={"limit": limit}), lambda_context)
    assert status == 400
    assert json.loads(body) == {
        "error": "BadRequest",
        "message": "limit: must be an integer between 1 and 30",
    }
    assert headers["cache-control"] == "no-store"


def repeated(path: str, name: str, values: list[str], **kwargs: Any) -> dict[str, Any]:
    """A proxy event for ``?name=v1&name=v2``: API Gateway puts the last value in the single-value map."""
    event = proxy_event(path, query={name: values[-1]}, **kwargs)
    event["multiValueQueryStringParameters"] = {name: values}
    return event


@pytest.mark.parametrize(("path", "name"), [("/movers", "limit"), ("/tickers/AAPL/history", "days")])
@pytest.mark.parametrize("values", [["1", "2"], ["2", "2"]])
def test_given_a_repeated_count_when_get_then_400_not_first_or_last(
    seeded, lambda_context, path, name, values
):
    # Given ?limit=1&limit=2: neither value is chosen silently; the parameter must be given once
    status, _, body = call(repeated(path, name, values), lambda_context)
    assert status == 400
    assert json.loads(body)["message"].startswith(f"{name}: ")


def test_given_empty_table_when_get_movers_then_empty_array(table, lambda_context):
    status, _, body = call(proxy_event("/movers"), lambda_context)
    assert (status, json.loads(body)) == (200, [])


def test_when_get_movers_then_query_newest_first_with_limit_never_scan(seeded, lambda_context):
    # Given a spy around the real client
    real = boto3.client("dynamodb", region_name="us-east-1")
    calls: list[tuple[str, dict[str, Any]]] = []

    class Spy:
        def __getattr__(self, name: str) -> Any:
            method = getattr(real, name)

            def record(**kwargs: Any) -> Any:
                calls.append((name, kwargs))
                return method(**kwargs)

            return record

    store.set_client(Spy())
    call(proxy_event("/movers", query={"limit": "5"}), lambda_context)
    call(proxy_event("/tickers/BRK.B/history", resource="/tickers/{symbol}/history"), lambda_context)
    call(proxy_event("/analysis/latest"), lambda_context)
    # Then every read is a Query; those of stored days with a Limit, descending; the history also reads the
    # ticker's split partition (a handful of events: whole, oldest first)
    assert [name for name, _ in calls] == ["query", "query", "query", "query"]
    days = [kw for _, kw in calls if not kw["ExpressionAttributeValues"][":pk"]["S"].startswith("SPLIT#")]
    assert len(days) == 3
    assert all(kw["ScanIndexForward"] is False and kw["Limit"] >= 1 for kw in days)
    assert calls[0][1]["Limit"] == 5
    assert calls[2][1]["ExpressionAttributeValues"][":pk"]["S"] == "SPLIT#BRK.B"


# --- caching ---------------------------------------------------------------------------------------------


def test_when_get_movers_then_strong_etag_and_cache_control(seeded, lambda_context):
    _, headers, _body = call(proxy_event("/movers"), lambda_context)
    assert headers["cache-control"] == "public, max-age=60"
    etag = headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    # The same data gives the same validator; different data a different one.
    _, again, _ = call(proxy_event("/movers"), lambda_context)
    _, other, _ = call(proxy_event("/movers", query={"limit": "2"}), lambda_context)
    assert again["etag"] == etag != other["etag"]


@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", '"nope", {etag}', "*"])
def test_given_matching_if_none_match_when_get_then_304_empty(seeded, lambda_context, form):
    _, headers, _ = call(proxy_event("/movers"), lambda_context)
    value = form.format(etag=headers["etag"])
    status, headers304, body = call(proxy_event("/movers", headers={"If-None-Match": value}), lambda_context)
    assert (status, body) == (304, "")
    assert headers304["etag"] == headers["etag"]


def test_given_stale_if_none_match_when_get_then_200(seeded, lambda_context):
    status, _, body = call(proxy_event("/movers", headers={"If-None-Match": '"stale"'}), lambda_context)
    assert status == 200 and json.loads(body)


def test_when_health_then_ok_and_not_cached_without_dynamodb(table, lambda_context):
    store.set_client(SimpleNamespace())  # any DynamoDB call would raise AttributeError
    status, headers, body = call(proxy_event("/health"), lambda_context)
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert headers["cache-control"] == "no-store"


def test_when_get_then_cors_headers_from_config(seeded, lambda_context):
    _, headers, _ = call(proxy_event("/movers", headers={"Origin": "https://example.org"}), lambda_context)
    assert headers["access-control-allow-origin"] == "*"
    assert "etag" in headers["access-control-expose-headers"].lower()


# --- GET /movers/{date} ----------------------------------------------------------------------------------


def test_given_stored_date_when_get_mover_then_that_day(seeded, lambda_context):
    event = proxy_event("/movers/2026-01-05", resource="/movers/{date}", path_params={"date": "2026-01-05"})
    status, _, body = call(event, lambda_context)
    assert status == 200
    assert json.loads(body) == {
        "Date": "2026-01-05",
        "Ticker": "TSLA",
        "PercentChange": -5.123456,
        "ClosingPrice": 240.1,
    }


def test_given_absent_date_when_get_mover_then_404_json(seeded, lambda_context):
    status, _, body = call(proxy_event("/movers/2026-01-03", resource="/movers/{date}"), lambda_context)
    assert status == 404
    assert json.loads(body)["error"] == "NotFound"


HOSTILE_DATES = [
    "2026-13-01",
    "2026-02-30",
    "0000-01-01",
    "20260105",
    "yesterday",
    "2026-1-5",
    "2026-01-05\n",  # %0A: Powertools' route regex ends in $, which matches before a final newline
    "2026-01-05\r\n",
    " 2026-01-05",
    "2026-01-05 ",  # %20
    "2026-01-05\t",
    "+2026-01-05",
    "2026-01-05T00:00",
    "2026-W02-1",
    "\u0662\u0660\u0662\u0666-01-05",  # Arabic-Indic digits: \d and int() accept them
    "\uff12\uff10\uff12\uff16-01-05",  # fullwidth digits
    "2026-01-05" + "5" * 200,  # overlong
]


@pytest.mark.parametrize("date", HOSTILE_DATES)
@pytest.mark.parametrize("route", ["/movers", "/analysis"])
def test_given_bad_date_when_get_then_400_naming_the_date(seeded, lambda_context, date, route):
    # Given a date that is not exactly YYYY-MM-DD (as API Gateway passes it on, URL-decoded)
    event = proxy_event(f"{route}/{date}", resource=f"{route}/{{date}}", path_params={"date": date})
    # When the function answers, then 400 with the date's message: never the trimmed date's 200/404
    status, headers, body = call(event, lambda_context)
    assert status == 400
    assert json.loads(body) == {
        "error": "BadRequest",
        "message": "date: must be a calendar date in the form YYYY-MM-DD",
    }
    assert headers["cache-control"] == "no-store"


def test_given_a_stored_date_with_a_trailing_newline_when_get_then_400_not_that_day(seeded, lambda_context):
    # Given 2026-01-05 is stored: "2026-01-05\n" must not be served as it
    event = proxy_event(
        "/movers/2026-01-05\n", resource="/movers/{date}", path_params={"date": "2026-01-05\n"}
    )
    status, _, body = call(event, lambda_context)
    assert status == 400 and json.loads(body)["error"] == "BadRequest"


# --- GET /tickers/{symbol}/history -----------------------------------------------------------------------


def test_given_ticker_days_when_history_then_newest_first_with_ohlcv(seeded, lambda_context):
    event = proxy_event("/tickers/BRK.B/history", resource="/tickers/{symbol}/history", query={"days": "2"})
    status, headers, body = call(event, lambda_context)
    items = json.loads(body)
    assert status == 200
    assert [i["Date"] for i in items] == ["2026-01-14", "2026-01-13"]
    assert set(items[0]) == {
        "Date", "Ticker", "Open", "High", "Low", "Close", "Volume", "PercentChange",
        "Basis", "AdjustmentFactor", "StoredBasis", "Provider", "FetchedAt",
    }  # fmt: skip
    assert items[0]["Close"] == 454 and items[0]["Volume"] == 3100000
    # an item stored before the basis was recorded stays readable, shown as stored and said to be unknown
    assert (items[0]["Basis"], items[0]["StoredBasis"], items[0]["AdjustmentFactor"]) == (
        "unknown",
        "unknown",
        1,
    )
    assert items[0]["FetchedAt"] is None
    assert "max-age" in headers["cache-control"]


def test_given_a_split_since_a_stored_day_when_history_then_it_is_shown_in_todays_basis_and_marked(
    table, lambda_context
):
    # Given NFLX days stored the evening they traded: two before its 10-for-1 split of 2025-11-17, one after
    from stock_movers.adapters.storage import ItemStore
    from stock_movers.domain.splits import parse_split

    for date, open_, close, volume in (
        ("2025-11-13", "157.918", "156.829", "9520309"),
        ("2025-11-14", "155.729", "151.484", "7083490.25"),  # a fractional volume keeps its fraction
        ("2025-11-18", "15.1762", "15.1225", "74105681"),
    ):
        table.put_item(
            Item={"pk": ticker_pk("NFLX"), "sk": date, "Date": date, "Ticker": "NFLX",
                  "Open": Decimal(open_), "High": Decimal(open_) + 1, "Low": Decimal(close) - 1,
                  "Close": Decimal(close), "Volume": Decimal(volume), "PercentChange": Decimal("-0.689599"),
                  "Provider": "massive", "Basis": "adjusted", "FetchedAt": f"{date}T21:30:00+00:00"}
        )  # fmt: skip
    event = proxy_event("/tickers/NFLX/history", resource="/tickers/{symbol}/history", query={"days": "3"})
    _, _, body = call(event, lambda_context)
    before_split = json.loads(body)
    assert [d["AdjustmentFactor"] for d in before_split] == [1, 1, 1]  # no split stored yet: as stored
    # When the split event is stored
    ItemStore(TABLE, store.client()).put_splits(
        [parse_split("NFLX", "2025-11-17", 1, 10)], provider="massive", fetched_at="2025-11-18T22:00:00+00:00"
    )
    _, _, body = call(event, lambda_context)
    days = json.loads(body)
    # Then the days fetched before it are shown adjusted (x 1/10, volume x 10) and say so; the day after is
    # as stored; every PercentChange is the stored one (same-day open to close)
    assert [(d["Date"], d["Close"], d["Volume"], d["AdjustmentFactor"], d["Basis"]) for d in days] == [
        ("2025-11-18", 15.1225, 74105681, 1, "adjusted"),
        ("2025-11-14", 15.1484, 70834902.5, 0.1, "adjusted"),
        ("2025-11-13", 15.6829, 95203090, 0.1, "adjusted"),
    ]
    assert all(d["PercentChange"] == -0.689599 and d["StoredBasis"] == "adjusted" for d in days)
    assert days[1]["FetchedAt"] == "2025-11-14T21:30:00+00:00" and days[1]["Provider"] == "massive"


def test_given_unknown_ticker_when_history_then_empty_array(seeded, lambda_context):
    status, _, body = call(
        proxy_event("/tickers/ZZZZ/history", resource="/tickers/{symbol}/history"), lambda_context
    )
    assert (status, json.loads(body)) == (200, [])


@pytest.mark.parametrize(
    "symbol",
    [
        "aapl",
        "TOOLONG",
        "A1",
        "BRK.BBB",
        "BRK_B",
        "AAPL\n",
        "AAPL ",
        " AAPL",
        "BRK.",
        "\uff21\uff21\uff30\uff2c",  # fullwidth AAPL
        "\u00c4APL",  # a non-ASCII capital
        "A" * 300,
    ],
)
def test_given_bad_symbol_when_history_then_400(seeded, lambda_context, symbol):
    event = proxy_event(f"/tickers/{symbol}/history", resource="/tickers/{symbol}/history")
    status, _, body = call(event, lambda_context)
    assert status == 400
    assert json.loads(body)["message"].startswith("symbol:")


def test_given_unroutable_characters_in_symbol_when_history_then_400(seeded, lambda_context):
    # Given API Gateway matched /tickers/{symbol}/history but the decoded symbol contains a control char
    event = proxy_event("/tickers/A\x01B/history", resource="/tickers/{symbol}/history")
    status, _, body = call(event, lambda_context)
    assert status == 400 and json.loads(body)["message"].startswith("symbol:")


@pytest.mark.parametrize("days", ["0", "366", "x", "+5", " 5", "5\n", "05", "1e1", "\uff15", "9" * 40])
def test_given_bad_days_when_history_then_400(seeded, lambda_context, days):
    status, _, body = call(proxy_event("/tickers/AAPL/history", query={"days": days}), lambda_context)
    assert status == 400
    assert json.loads(body) == {
        "error": "BadRequest",
        "message": "days: must be an integer between 1 and 365",
    }


# --- GET /analysis ---------------------------------------------------------------------------------------


def test_given_no_analysis_when_latest_then_404(seeded, lambda_context):
    status, _, body = call(proxy_event("/analysis/latest"), lambda_context)
    assert status == 404 and json.loads(body)["error"] == "NotFound"


def test_given_analyses_when_latest_and_by_date_then_attributes_as_json(seeded, lambda_context):
    for date, vol in [("2026-01-13", "0.25"), ("2026-01-14", "0.123456")]:
        seeded.put_item(
            Item={
                "pk": ANALYSIS_PK,
                "sk": date,
                "Date": date,
                "Volatility": Decimal(vol),
                "Streak": Decimal(3),
            }
        )
    status, _, body = call(proxy_event("/analysis/latest"), lambda_context)
    assert status == 200
    assert json.loads(body) == {"Date": "2026-01-14", "Volatility": 0.123456, "Streak": 3}
    status, _, body = call(proxy_event("/analysis/2026-01-13", resource="/analysis/{date}"), lambda_context)
    assert (status, json.loads(body)["Volatility"]) == (200, 0.25)
    status, _, _ = call(proxy_event("/analysis/2026-01-02", resource="/analysis/{date}"), lambda_context)
    assert status == 404


# --- routing and internal errors -------------------------------------------------------------------------


def test_given_unknown_route_when_called_then_404_json(seeded, lambda_context):
    status, _, body = call(proxy_event("/nope"), lambda_context)
    assert status == 404
    assert json.loads(body) == {"error": "NotFound", "message": "no such route"}


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "TRACE"])
@pytest.mark.parametrize(
    ("path", "resource"),
    [("/movers", None), ("/movers/2026-01-05", "/movers/{date}"), ("/health", None)],
)
def test_given_wrong_method_on_known_path_then_405_with_allow(seeded, lambda_context, method, path, resource):
    status, headers, body = call(proxy_event(path, resource=resource, method=method), lambda_context)
    assert status == 405
    assert json.loads(body) == {
        "error": "MethodNotAllowed",
        "message": f"method {method} is not allowed here",
    }
    assert headers["allow"] == "GET, HEAD, OPTIONS"
    assert headers["cache-control"] == "no-store"


# --- HEAD ------------------------------------------------------------------------------------------------

HEAD_CASES = [
    # (path, resource, query, expected status)
    ("/movers", None, None, 200),
    ("/movers", None, {"limit": "2"}, 200),
    ("/movers", None, {"limit": "+5"}, 400),
    ("/movers/2026-01-05", "/movers/{date}", None, 200),
    ("/movers/2026-01-03", "/movers/{date}", None, 404),
    ("/movers/2026-01-05\n", "/movers/{date}", None, 400),
    ("/tickers/BRK.B/history", "/tickers/{symbol}/history", {"days": "2"}, 200),
    ("/tickers/aapl/history", "/tickers/{symbol}/history", None, 400),
    ("/analysis/latest", None, None, 404),
    ("/analysis/2026-01-05", "/analysis/{date}", None, 404),
    ("/analysis/2026-02-30", "/analysis/{date}", None, 400),
    ("/health", None, None, 200),
    ("/nope", None, None, 404),
]


@pytest.mark.parametrize(("path", "resource", "query", "expected"), HEAD_CASES)
def test_when_head_then_the_get_status_and_headers_without_the_body(
    seeded, lambda_context, path, resource, query, expected
):
    # Given the GET answer of the same request
    get_status, get_headers, get_body = call(
        proxy_event(path, resource=resource, query=query), lambda_context
    )
    # When HEAD asks for it
    event = proxy_event(path, resource=resource, query=query, method="HEAD")
    status, headers, body = call(event, lambda_context)
    # Then the same status and headers, Content-Length of the GET body, and no body
    assert (status, get_status) == (expected, expected)
    assert body == ""
    assert headers.pop("content-length") == str(len(get_body.encode("utf-8")))
    assert headers == get_headers


def test_given_a_fresh_etag_when_head_then_304_like_get(seeded, lambda_context):
    _, headers, _ = call(proxy_event("/movers"), lambda_context)
    event = proxy_event("/movers", method="HEAD", headers={"If-None-Match": headers["etag"]})
    status, head_headers, body = call(event, lambda_context)
    assert (status, body, head_headers["etag"]) == (304, "", headers["etag"])
    assert "content-length" not in head_headers  # as on the GET 304


def test_given_a_failing_store_when_head_then_500_without_body(seeded, lambda_context, monkeypatch):
    monkeypatch.setattr(store, "newest_winners", lambda *_a, **_k: 1 / 0)
    status, headers, body = call(proxy_event("/movers", method="HEAD"), lambda_context)
    expected = json.dumps({"error": "InternalError", "message": "internal error"})
    assert (status, body, headers["content-length"]) == (500, "", str(len(expected)))


def test_given_failing_store_when_get_then_500_without_internals(seeded, lambda_context, monkeypatch, caplog):
    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret-internal-detail table=movers-test")

    monkeypatch.setattr(store, "newest_winners", boom)
    status, _headers, body = call(proxy_event("/movers"), lambda_context)
    assert status == 500
    assert json.loads(body) == {"error": "InternalError", "message": "internal error"}
    assert "secret" not in body and "Traceback" not in body
    # The cause is logged with the request id.
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.request_id == "req-123"
    assert record.exc_info and "secret-internal-detail" in str(record.exc_info[1])
