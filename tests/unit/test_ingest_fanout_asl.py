"""The ingest machine's two fan-outs (statemachines/ingest.asl.json): the inline Map for small lists and the
Distributed Map for large ones fetch each ticker with the same steps and end in the same Pick Winner."""

from __future__ import annotations

import json
from typing import Any

from tests.support.asl import ROOT

INGEST = ROOT / "statemachines" / "ingest.asl.json"


def _states() -> dict[str, Any]:
    return dict(json.loads(INGEST.read_text())["States"])


def _renamed(node: Any, prefix: str) -> Any:
    """`node` with every transition target (Next, Default, StartAt) prefixed."""
    if isinstance(node, dict):
        return {
            k: prefix + v
            if k in ("Next", "Default", "StartAt") and isinstance(v, str)
            else _renamed(v, prefix)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_renamed(v, prefix) for v in node]
    return node


def test_a_distributed_child_fetches_each_ticker_exactly_as_an_inline_iteration():
    # Given the inline Map's per-ticker processor and the one inside each distributed child's batch
    states = _states()
    inline = states["Fetch Watchlist"]["ItemProcessor"]
    child = states["Fetch Watchlist Distributed"]["ItemProcessor"]["States"]["Fetch Batch"]
    # Then they are the same states (named "Batch ..." in the child: ASL names are unique per machine)
    assert child["ItemProcessor"]["StartAt"] == "Batch " + inline["StartAt"]
    assert child["ItemProcessor"]["States"] == {
        "Batch " + name: _renamed(state, "Batch ") for name, state in inline["States"].items()
    }
    # And each iteration gets the same input: the ticker, the session and the parent execution's name
    # (which names the work objects Pick Winner reads)
    assert set(child["ItemSelector"]) == set(states["Fetch Watchlist"]["ItemSelector"])
    batcher = states["Fetch Watchlist Distributed"]["ItemBatcher"]
    assert batcher["BatchInput"] == {
        "date.$": "$.date",
        "executionName.$": "$$.Execution.Name",
        "source.$": "$.snapshot.source",  # failover: the provider the fetch starts with, and how many
        "providerCount.$": "$.providerCount",
    }


def test_both_fan_outs_are_reached_by_the_list_size_and_end_in_pick_winner():
    states = _states()
    assert states["No Snapshot"]["Next"] == states["Snapshot Partial"]["Next"] == "Size The Fan-out"
    choice = states["Fan-out Mode?"]
    (rule,) = choice["Choices"]
    assert rule == {
        "Variable": "$.snapshot.count",
        "NumericGreaterThan": "${distributed_map_threshold}",
        "Next": "Write Fetch Items",
    }
    assert choice["Default"] == "Fetch Watchlist"
    assert states["Write Fetch Items"]["Next"] == "Fetch Watchlist Distributed"
    assert states["Fetch Watchlist"]["Next"] == states["Fetch Watchlist Distributed"]["Next"] == "Pick Winner"


def test_the_distributed_map_reads_writes_and_fails_as_a_whole():
    # Given the Distributed Map
    dmap = _states()["Fetch Watchlist Distributed"]
    # Then its items are the array Write Fetch Items put in S3, its results go to the run's work prefix, its
    # children are the templated type, and no child failure is tolerated (a partial day never reaches Pick
    # Winner)
    assert dmap["ItemReader"]["Parameters"]["Key.$"] == "$.snapshot.itemsKey"
    assert dmap["ItemReader"]["ReaderConfig"] == {"InputType": "JSON"}
    assert _states()["Write Fetch Items"]["Parameters"]["Key.$"] == "$.snapshot.itemsKey"
    assert dmap["ResultWriter"]["Parameters"]["Prefix.$"] == "$.snapshot.resultsPrefix"
    assert dmap["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "${distributed_execution_type}",
    }
    assert not {"ToleratedFailureCount", "ToleratedFailurePercentage"} & set(dmap)
    assert dmap["Catch"][0]["Next"] == "Run Failed"


def test_size_the_fan_out_keeps_every_snapshot_field_either_map_reads():
    # Given the Pass that rebuilds $.snapshot before both fan-outs (a field it drops is a runtime
    # States.Runtime error in every run, e.g. the failover `source`)
    states = _states()
    kept = {k.removesuffix(".$") for k in states["Size The Fan-out"]["Parameters"]}
    inline, distributed = states["Fetch Watchlist"], states["Fetch Watchlist Distributed"]
    paths = [
        inline["ItemsPath"],
        *inline["ItemSelector"].values(),
        *distributed["ItemBatcher"]["BatchInput"].values(),
        *distributed["ItemReader"]["Parameters"].values(),
        *distributed["ResultWriter"]["Parameters"].values(),
    ]
    read = {p.split(".")[2] for p in paths if isinstance(p, str) and p.startswith("$.snapshot.")}
    # Then every field either Map reads of $.snapshot is one it keeps
    assert read and read <= kept, read - kept
