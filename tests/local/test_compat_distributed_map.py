"""movers.local.compat.distributed_map: Distributed Map as AWS runs it (ItemBatcher, Express children,
ResultWriter results, tolerated failures, per-child histories), pure parts and against the local AWS."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from movers.local.compat import (
    ItemBatcherError,
    batch_items,
    exceeds_tolerance,
    result_files,
    split_distributed_map_fields,
)

SFN_ROLE = "arn:aws:iam::123456789012:role/sfn-test"


# --- pure ------------------------------------------------------------------------------------------


def test_split_takes_item_batcher_and_express_out_of_nested_maps_only():
    # Given a definition with a Distributed Map (ItemBatcher, EXPRESS) inside a Parallel branch
    inner = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "End": True}},
    }
    machine = {
        "StartAt": "Par",
        "States": {
            "Par": {
                "Type": "Parallel",
                "End": True,
                "Branches": [
                    {
                        "StartAt": "M",
                        "States": {
                            "M": {
                                "Type": "Map",
                                "End": True,
                                "ItemBatcher": {"MaxItemsPerBatch": 2},
                                "ItemProcessor": inner,
                            }
                        },
                    }
                ],
            }
        },
    }
    # When split, then the batcher and the Express mode are recorded by the Map's name and removed
    stripped, batchers, express = split_distributed_map_fields(machine)
    assert batchers == {"M": {"MaxItemsPerBatch": 2}} and express == {"M"}
    mapped = stripped["States"]["Par"]["Branches"][0]["States"]["M"]
    assert "ItemBatcher" not in mapped
    assert mapped["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] == "STANDARD"
    # And the caller's definition is untouched
    assert machine["States"]["Par"]["Branches"][0]["States"]["M"]["ItemBatcher"] == {"MaxItemsPerBatch": 2}


def test_batches_keep_order_and_respect_the_item_and_byte_limits():
    items = [f"T{i:03d}" for i in range(7)]
    assert [b["Items"] for b in batch_items(items, 3, None, None)] == [items[0:3], items[3:6], items[6:]]
    assert batch_items(items[:1], 3, None, {"d": 1}) == [{"Items": ["T000"], "BatchInput": {"d": 1}}]
    # A byte limit closes a batch before the item limit does: each item costs its JSON plus a comma
    overhead = len(json.dumps({"Items": [], "BatchInput": None}).encode())
    by_bytes = batch_items(items, 100, overhead + 2 * 7, None)
    assert [len(b["Items"]) for b in by_bytes] == [2, 2, 2, 1]
    with pytest.raises(ItemBatcherError):
        batch_items(["x" * 50], 10, overhead + 10, None)


@pytest.mark.parametrize(
    ("failed", "total", "count", "percentage", "exceeded"),
    [
        (0, 5, None, None, False),
        (1, 5, None, None, True),
        (1, 5, 1, None, False),
        (1, 5, None, 20.0, False),
        (2, 5, 1, 100.0, True),
        (1, 5, 5, 10.0, True),
        (1, 10, 5, 10.0, False),
        (1, 5, 0, None, True),
    ],
)
def test_tolerance_follows_count_and_percentage(failed, total, count, percentage, exceeded):
    assert exceeds_tolerance(failed, total, count, percentage) is exceeded


def test_result_files_follow_the_aws_layout():
    children = [{"Status": "SUCCEEDED", "Output": "1"}] * 1001 + [{"Status": "FAILED"}]
    listed, bodies = result_files("out/", "arn:aws:states:r:1:mapRun:m/label:abc", children)
    assert [f["Key"] for f in listed["SUCCEEDED"]] == ["out/abc/SUCCEEDED_0.json", "out/abc/SUCCEEDED_1.json"]
    assert [f["Key"] for f in listed["FAILED"]] == ["out/abc/FAILED_0.json"] and listed["PENDING"] == []
    assert len(json.loads(bodies["out/abc/SUCCEEDED_0.json"])) == 1000
    assert all(f["Size"] == len(bodies[f["Key"]]) for f in listed["SUCCEEDED"] + listed["FAILED"])


# --- against the local AWS -------------------------------------------------------------------------


def _run(aws_client, definition: dict, execution_input: dict, timeout_s: float = 60.0) -> dict:
    sfn = aws_client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"dmap-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=SFN_ROLE
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input))["executionArn"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.05)
    raise AssertionError(f"execution {execution} still running")


def _bucket(aws_client, items: list) -> str:
    s3 = aws_client("s3")
    bucket = f"dmap-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="in/items.json", Body=json.dumps(items).encode())
    return bucket


def _distributed(child: dict, **fields) -> dict:
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket.$": "$.bucket", "Key": "in/items.json"},
                },
                "MaxConcurrency": 2,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    **child,
                },
                **fields,
                "End": True,
            }
        },
    }


BATCH_CHILD = {
    "StartAt": "Count",
    "States": {
        "Count": {
            "Type": "Pass",
            "Parameters": {
                "n.$": "States.ArrayLength($.Items)",
                "day.$": "$.BatchInput.day",
                "run.$": "$.BatchInput.run",
            },
            "End": True,
        }
    },
}


def test_item_batcher_result_writer_and_express_children_run_as_on_aws(aws_client):
    # Given 7 items in an S3 JSON array, a Distributed Map of Express children, 3 items a batch, a
    # BatchInput with paths into the Map's input and its context, and a ResultWriter
    items = [f"T{i}" for i in range(7)]
    bucket = _bucket(aws_client, items)
    definition = _distributed(
        BATCH_CHILD,
        ItemBatcher={"MaxItemsPerBatch": 3, "BatchInput": {"day.$": "$.day", "run.$": "$$.Execution.Name"}},
        ResultWriter={
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket.$": "$.bucket", "Prefix": "out"},
        },
    )
    # When it runs
    described = _run(aws_client, definition, {"bucket": bucket, "day": "2026-01-02"})
    # Then it succeeds with AWS's ResultWriter output: the MapRun and the manifest's key
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    map_run = output["MapRunArn"]
    uid = map_run.split(":")[-1]
    assert output["ResultWriterDetails"] == {"Bucket": bucket, "Key": f"out/{uid}/manifest.json"}
    # And the manifest lists the succeeded children's file, which holds one result per batch
    s3 = aws_client("s3")
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=f"out/{uid}/manifest.json")["Body"].read())
    assert manifest["MapRunArn"] == map_run and manifest["DestinationBucket"] == bucket
    (listed,) = manifest["ResultFiles"]["SUCCEEDED"]
    results = json.loads(s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read())
    run = described["name"]
    assert sorted(json.loads(r["Input"])["Items"] for r in results) == [items[0:3], items[3:6], items[6:]]
    assert all(json.loads(r["Input"])["BatchInput"] == {"day": "2026-01-02", "run": run} for r in results)
    assert sorted(json.loads(r["Output"])["n"] for r in results) == [1, 3, 3]
    # And the MapRun counts three child executions; the parent's history holds none of their states
    sfn = aws_client("stepfunctions")
    counts = sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"]) == (3, 3, 0)
    items_counted = sfn.describe_map_run(mapRunArn=map_run)["itemCounts"]
    assert (items_counted["total"], items_counted["succeeded"]) == (7, 7)
    history = sfn.get_execution_history(executionArn=described["executionArn"], maxResults=1000)["events"]
    assert not any(e.get("stateEnteredEventDetails", {}).get("name") == "Count" for e in history)


FAILING_CHILD = {
    "StartAt": "Bad?",
    "States": {
        "Bad?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "Fail"}],
            "Default": "Ok",
        },
        "Fail": {"Type": "Fail", "Error": "Boom", "Cause": "a bad item"},
        "Ok": {"Type": "Pass", "End": True},
    },
}


@pytest.mark.parametrize(("tolerated", "status"), [(0, "FAILED"), (1, "SUCCEEDED")])
def test_a_failed_child_fails_the_map_unless_tolerated(aws_client, tolerated, status):
    # Given a Distributed Map over four items of which one fails its child execution
    bucket = _bucket(aws_client, ["a", "bad", "c", "d"])
    definition = _distributed(FAILING_CHILD, ToleratedFailureCount=tolerated)
    # When it runs, then one failure fails it with AWS's error (nothing tolerated), or it succeeds
    described = _run(aws_client, definition, {"bucket": bucket})
    assert described["status"] == status, described
    if status == "FAILED":
        assert described["error"] == "States.ExceedToleratedFailureThreshold"
        assert "1 of 4 child executions failed" in described["cause"]


def test_a_failed_child_is_caught_by_the_maps_catch(aws_client):
    bucket = _bucket(aws_client, ["bad"])
    definition = _distributed(
        FAILING_CHILD, Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]
    )
    del definition["States"]["M"]["End"]
    definition["States"]["M"]["Next"] = "Caught"
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    described = _run(aws_client, definition, {"bucket": bucket})
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["error"]["Error"] == "States.ExceedToleratedFailureThreshold"


LOOP_CHILD = {
    "StartAt": "Count",
    "States": {
        "Count": {
            "Type": "Pass",
            "Parameters": {"n.$": "States.MathAdd($.n, 1)", "limit.$": "$.limit"},
            "Next": "More?",
        },
        "More?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericLessThanPath": "$.limit", "Next": "Count"}],
            "Default": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def test_children_histories_do_not_add_up_to_the_parents_25000_events(aws_client):
    # Given two child executions of ~13,000 history events each (26,000 together, each far under 25,000)
    machine = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    **LOOP_CHILD,
                },
                "End": True,
            }
        },
    }
    # When the Map runs them, then the run succeeds: each child has a history of its own
    described = _run(aws_client, machine, {"items": [{"n": 0, "limit": 3250}] * 2}, timeout_s=120.0)
    assert described["status"] == "SUCCEEDED", described.get("cause")
