"""The local AWS request meter's DynamoDB write units: per table, item kind, operation and outcome, with a
failed conditional write billed (as DynamoDB bills it) and a transaction's items billed twice."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client
from werkzeug.wrappers import Response

from movers.cli.cost import meter_counts, write_units
from movers.local.meter import ADMIN_PATH, RequestMeter, ddb_writes, write_outcome

_SIG = "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/dynamodb/aws4_request, Signature=x"


def _backend(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Stands in for DynamoDB: refuses a write whose body holds "lose" as a failed condition, and one
    holding "bad" as a validation error."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    if b"lose" in body:
        err = {"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"}
        return Response(json.dumps(err), 400)(environ, start_response)
    if b"bad" in body:
        err = {"__type": "com.amazon.coral.validate#ValidationException"}
        return Response(json.dumps(err), 400)(environ, start_response)
    return Response("{}", 200)(environ, start_response)


def _call(client: Client, action: str, doc: dict[str, Any]) -> Any:
    return client.post(
        "/",
        data=json.dumps(doc),
        headers={"Authorization": _SIG, "X-Amz-Target": f"DynamoDB_20120810.{action}"},
    )


def _put(table: str, pk: str, **extra: Any) -> dict[str, Any]:
    return {"TableName": table, "Item": {"id": {"S": pk}}, **extra}


@pytest.fixture
def meter() -> RequestMeter:
    return RequestMeter(_backend)


def test_given_writes_to_two_tables_when_read_then_units_split_by_table_kind_operation_and_outcome(
    meter: RequestMeter,
) -> None:
    # Given a limiter write that wins, two that lose their condition, an idempotency put and update
    client = Client(meter)
    _call(client, "PutItem", _put("p-control", "ratelimit#massive#k"))
    for _ in range(2):
        _call(client, "PutItem", _put("p-control", "ratelimit#massive#k", Note={"S": "lose"}))
    _call(client, "PutItem", _put("p-control", "p-fetch-bars.fetch#abc"))
    _call(client, "UpdateItem", {"TableName": "p-control", "Key": {"id": {"S": "p-fetch-bars.fetch#abc"}}})
    # and a batch of three ticker items and a transaction of a winner and a board on the main table
    batch = [{"PutRequest": {"Item": {"pk": {"S": f"ITEM#{t}"}, "sk": {"S": "d"}}}} for t in "ABC"]
    _call(client, "BatchWriteItem", {"RequestItems": {"p-movers": batch}})
    txn = [
        {"Put": {"TableName": "p-movers", "Item": {"pk": {"S": pk}, "sk": {"S": "d"}}}}
        for pk in ("WIN", "BOARD#w")
    ]
    _call(client, "TransactWriteItems", {"TransactItems": txn})
    # When the snapshot is read through the cost model's helpers
    snapshot = json.loads(client.get(ADMIN_PATH).get_data())
    split = write_units(snapshot, "p")
    # Then every unit is attributed, the lost conditions apart, the transaction's items billed twice
    assert split["by_table"] == {"control": 5, "movers": 7}
    assert split["detail"] == {
        "movers BOARD TransactWriteItems ok": 2,
        "movers WIN TransactWriteItems ok": 2,
        "movers ITEM BatchWriteItem ok": 3,
        "control ratelimit PutItem conditional_failed": 2,
        "control fetch-bars.fetch PutItem ok": 1,
        "control fetch-bars.fetch UpdateItem ok": 1,
        "control ratelimit PutItem ok": 1,
    }
    # and the totals the cost model prices agree with the breakdown
    assert meter_counts(snapshot)["dynamodb.wru"] == 12


def test_given_a_refused_write_that_is_not_a_condition_then_it_is_counted_as_an_error(
    meter: RequestMeter,
) -> None:
    client = Client(meter)
    _call(client, "DeleteItem", {"TableName": "t", "Key": {"id": {"S": "bad#1"}}})
    assert json.loads(client.get(ADMIN_PATH).get_data())["writes"] == [
        {"table": "t", "kind": "bad", "operation": "DeleteItem", "outcome": "error", "items": 1, "units": 1}
    ]


def test_given_a_reset_then_the_breakdown_is_empty(meter: RequestMeter) -> None:
    client = Client(meter)
    _call(client, "PutItem", _put("t", "x"))
    assert json.loads(client.delete(ADMIN_PATH).get_data())["writes"] == []


@pytest.mark.parametrize(
    ("action", "doc", "expected"),
    [
        ("PutItem", _put("t", "ITEM#A"), [("t", "ITEM", 1)]),
        ("UpdateItem", {"TableName": "t", "Key": {"pk": {"N": "1"}}}, [("t", "?", 1)]),
        (
            "BatchWriteItem",
            {
                "RequestItems": {
                    "t": [{"DeleteRequest": {"Key": {"pk": {"S": "A#1"}}}}],
                    "u": [{"PutRequest": {}}],
                }
            },
            [("t", "A", 1), ("u", "?", 1)],
        ),
        (
            "TransactWriteItems",
            {"TransactItems": [{"Update": {"TableName": "t", "Key": {"pk": {"S": "W"}}}}]},
            [("t", "W", 2)],
        ),
        # the key need not come first: an item written with its attributes before its key
        (
            "PutItem",
            {"TableName": "t", "Item": {"Date": {"S": "2024-01-02"}, "pk": {"S": "KIND#2024-01-02"}}},
            [("t", "KIND", 1)],
        ),
        (
            "PutItem",
            {"TableName": "c", "Item": {"n": {"N": "1"}, "id": {"S": "ratelimit#massive"}}},
            [("c", "ratelimit", 1)],
        ),
        ("PutItem", [], [("?", "?", 1)]),
        ("BatchWriteItem", {"RequestItems": {}}, [("?", "?", 1)]),
    ],
)
def test_items_of_each_write_request(action: str, doc: Any, expected: list[tuple[str, str, int]]) -> None:
    assert ddb_writes(action, json.dumps(doc).encode()) == expected


def test_a_malformed_body_is_one_unit_of_unknown_table() -> None:
    assert ddb_writes("PutItem", b"{not json") == [("?", "?", 1)]


def test_outcomes_from_status_and_body() -> None:
    assert write_outcome("200 OK", b"") == "ok"
    assert write_outcome("400 BAD REQUEST", b'{"__type": "x#ConditionalCheckFailedException"}') == (
        "conditional_failed"
    )
    reasons = b'"CancellationReasons": [{"Code": "ConditionalCheckFailed"}]'
    cancelled = b'{"__type": "x#TransactionCanceledException", ' + reasons + b"}"
    assert write_outcome("400 BAD REQUEST", cancelled) == "conditional_failed"
    assert write_outcome("400 BAD REQUEST", b'{"__type": "x#ThrottlingException"}') == "error"


def test_given_moto_when_a_condition_fails_then_the_meter_sees_the_failure() -> None:
    # Given the meter around moto's own DynamoDB, as movers.local.server installs it
    client = Client(RequestMeter(DomainDispatcherApplication(create_backend_app)))
    create = {
        "TableName": "c",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    assert _call(client, "CreateTable", create).status_code == 200
    # When one conditional put wins and the same put then loses its condition
    cond = _put("c", "ratelimit#x", ConditionExpression="attribute_not_exists(id)")
    assert _call(client, "PutItem", cond).status_code == 200
    assert _call(client, "PutItem", cond).status_code == 400
    # Then both are billed and the second is a failed condition
    writes = json.loads(client.get(ADMIN_PATH).get_data())["writes"]
    assert {(w["outcome"], w["units"]) for w in writes} == {("ok", 1), ("conditional_failed", 1)}
