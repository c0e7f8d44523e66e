"""Step Functions Distributed Map in moto's vendored interpreter: the parts of it moto lacks.

moto runs a Map with ``ProcessorConfig.Mode: DISTRIBUTED`` (a MapRun, ``ItemReader`` from S3, MaxConcurrency,
ListMapRuns/DescribeMapRun) but its grammar has no ``ItemBatcher`` nor ``ExecutionType: EXPRESS``, its
``ResultWriter`` writes an empty manifest and no results, a failed child execution never fails the Map, and
all child executions of a MapRun share one event history (so 25,000 events across all children end the run,
where AWS gives each child execution its own history, and Express children none). Each fix below mends one
of these, says what AWS does, and is tested in tests/local/test_compat_distributed_map.py.
"""

from __future__ import annotations

import json
import threading
from typing import Any

# AWS: "MaxInputBytesPerBatch ... up to 256 KiB" and the default when no byte limit is given.
BATCH_MAX_BYTES = 256 * 1024
# AWS's cause on the Map state when more child executions failed than tolerated.
TOLERATED_FAILURE_CAUSE = "The specified tolerated failure threshold was exceeded"
# AWS's ResultWriter files: at most this many child execution results per SUCCEEDED_n.json / FAILED_n.json.
RESULTS_PER_FILE = 1000

# ItemBatcher declarations and Express processors found in definitions, by the Map state's name (ASL state
# names are unique across a whole state machine, nested scopes included). Filled at parse time.
_lock = threading.Lock()


class ItemBatcherError(ValueError):
    """An ItemBatcher the local interpreter cannot honour (named, never silently ignored)."""


def split_distributed_map_fields(machine: Any) -> tuple[Any, dict[str, dict[str, Any]], set[str]]:
    """The definition without the Distributed Map fields moto's grammar lacks, and what was taken out.

    Returns ``(definition, batchers, express)``: ``ItemBatcher`` objects by Map state name, and the names of
    Maps whose ``ProcessorConfig.ExecutionType`` is ``EXPRESS`` (kept as ``STANDARD`` for the grammar: the
    interpreter runs every child the same way). Walks Parallel branches and Map processors. Pure.
    """
    batchers: dict[str, dict[str, Any]] = {}
    express: set[str] = set()

    def scope(node: Any) -> Any:
        if not isinstance(node, dict) or not isinstance(node.get("States"), dict):
            return node
        states = {}
        for name, state in node["States"].items():
            if isinstance(state, dict):
                state = dict(state)
                if state.get("Type") == "Map":
                    if "ItemBatcher" in state:
                        batchers[name] = state.pop("ItemBatcher")
                    for key in ("ItemProcessor", "Iterator"):
                        if isinstance(state.get(key), dict):
                            processor = dict(state[key])
                            config = processor.get("ProcessorConfig")
                            if isinstance(config, dict) and config.get("ExecutionType") == "EXPRESS":
                                processor["ProcessorConfig"] = {**config, "ExecutionType": "STANDARD"}
                                express.add(name)
                            state[key] = scope(processor)
                if state.get("Type") == "Parallel" and isinstance(state.get("Branches"), list):
                    state["Branches"] = [scope(b) for b in state["Branches"]]
            states[name] = state
        return {**node, "States": states}

    return scope(machine), batchers, express


def _state_maps(component: Any) -> list[Any]:
    """Every StateMap component of a parsed program (walks the component tree once)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap

    found: list[Any] = []
    seen: set[int] = set()
    stack = [component]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, StateMap):
            found.append(node)
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif type(node).__module__.startswith("moto.stepfunctions.parser.asl.component"):
            stack.extend(vars(node).values())
    return found


def fix_distributed_map_grammar() -> None:
    """Definitions with ``ItemBatcher`` and ``ExecutionType: EXPRESS`` parse, and the parsed Map keeps them.

    AWS accepts both on a Distributed Map (``ItemBatcher``: MaxItemsPerBatch, MaxInputBytesPerBatch,
    BatchInput; ``ExecutionType``: STANDARD or EXPRESS child workflows). moto's ANTLR grammar refuses both, so
    Terraform could not even create such a machine. The parser now takes them out before the grammar runs and
    puts them on the parsed StateMap (``movers_item_batcher``, ``movers_express``); running an Express child
    like a Standard one is faithful for the work it does (AWS differs in billing, the 5-minute limit and
    keeping no history, the last of which fix_distributed_map_children_have_their_own_history covers).
    """
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    original = AmazonStateLanguageParser.parse

    def parse(definition: str) -> Any:
        try:
            machine = json.loads(definition)
        except (TypeError, ValueError):
            return original(definition)
        stripped, batchers, express = split_distributed_map_fields(machine)
        if not batchers and not express:
            return original(definition)
        program, tree = original(json.dumps(stripped))
        for state_map in _state_maps(program):
            state_map.movers_item_batcher = batchers.get(state_map.name)
            state_map.movers_express = state_map.name in express
        return program, tree

    AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign]


def _resolve(template: Any, state_input: Any, context: Any) -> Any:
    """A JSONPath payload template (``"key.$": "$.path"`` or ``"$$.Context.path"``) over the Map's input."""
    from moto.stepfunctions.parser.asl.utils.json_path import extract_json

    if isinstance(template, list):
        return [_resolve(v, state_input, context) for v in template]
    if not isinstance(template, dict):
        return template
    out: dict[str, Any] = {}
    for key, value in template.items():
        if key.endswith(".$"):
            if not isinstance(value, str) or not value.startswith("$"):
                raise ItemBatcherError(f"BatchInput {key}: only JSONPath values are emulated, got {value!r}")
            out[key[:-2]] = (
                extract_json(value[1:], context)
                if value.startswith("$$")
                else extract_json(value, state_input)
            )
        else:
            out[key] = _resolve(value, state_input, context)
    return out


def batch_items(
    items: list[Any], max_items: int | None, max_bytes: int | None, batch_input: Any
) -> list[dict[str, Any]]:
    """Groups items into child inputs ``{"Items": [...], "BatchInput"?: {...}}`` as AWS's ItemBatcher does:
    at most ``max_items`` items and ``max_bytes`` bytes of JSON a batch (default and ceiling 256 KiB), in
    order. An item alone over the byte limit is ItemBatcherError (AWS fails the MapRun). Pure."""
    limit = min(max_bytes or BATCH_MAX_BYTES, BATCH_MAX_BYTES)
    overhead = len(json.dumps({"Items": [], "BatchInput": batch_input}).encode())
    batches: list[list[Any]] = []
    size = overhead
    for item in items:
        cost = len(json.dumps(item).encode()) + 1
        if overhead + cost > limit:
            raise ItemBatcherError(f"an item of {cost} bytes exceeds MaxInputBytesPerBatch ({limit})")
        if not batches or (max_items and len(batches[-1]) >= max_items) or size + cost > limit:
            batches.append([])
            size = overhead
        batches[-1].append(item)
        size += cost
    out: list[dict[str, Any]] = []
    for group in batches:
        child: dict[str, Any] = {"Items": group}
        if batch_input is not None:
            child["BatchInput"] = batch_input
        out.append(child)
    return out


def _failure(env: Any, typ: Any, cause: str) -> Exception:
    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    name = StatesErrorName(typ=typ)
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=name,
            event_type=HistoryEventType.MapRunFailed,
            event_details=EventDetails(  # type: ignore[typeddict-item]
                mapRunFailedEventDetails=MapRunFailedEventDetails(error=name.error_name, cause=cause)
            ),
        )
    )


def fix_item_batcher() -> None:
    """A Distributed Map with ``ItemBatcher`` starts one child execution per batch of items.

    AWS: each child's input is ``{"BatchInput": <BatchInput, paths resolved against the Map state's input>,
    "Items": [<up to MaxItemsPerBatch items, at most MaxInputBytesPerBatch bytes>]}``; items keep their order.
    moto has no ItemBatcher: it would start one child per item with the bare item. The batches are formed
    after the items are read (ItemReader or ItemsPath), before the children start. ItemSelector applies to
    each item of a batch on AWS; that combination is refused here (ItemBatcherError) rather than emulated
    wrongly.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (  # noqa: E501
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap

    original_execution = StateMap._eval_execution
    original_map_run = DistributedIterationComponent._map_run

    def _eval_execution(self: Any, env: Any) -> None:
        batcher = getattr(self, "movers_item_batcher", None)
        if batcher is not None:
            if self.item_selector is not None:
                raise ItemBatcherError(f"{self.name}: ItemSelector with ItemBatcher is not emulated locally")
            context = env.states.context_object.context_object_data
            batch_input = batcher.get("BatchInput")
            env.movers_batching = {
                "max_items": batcher.get("MaxItemsPerBatch"),
                "max_bytes": batcher.get("MaxInputBytesPerBatch"),
                "batch_input": None
                if batch_input is None
                else _resolve(batch_input, env.states.get_input(), context),
            }
        try:
            original_execution(self, env)
        finally:
            if batcher is not None and hasattr(env, "movers_batching"):
                del env.movers_batching

    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        batching = getattr(env, "movers_batching", None)
        if batching is None:
            original_map_run(self, env, eval_input)
            return
        items = env.stack.pop()
        try:
            env.stack.append(
                batch_items(
                    list(items), batching["max_items"], batching["max_bytes"], batching["batch_input"]
                )
            )
        except ItemBatcherError as exc:
            raise _failure(env, StatesErrorNameType.StatesItemReaderFailed, str(exc)) from None
        try:
            original_map_run(self, env, eval_input)
        finally:
            _count_batched_items(eval_input.map_run_record)

    StateMap._eval_execution = _eval_execution  # type: ignore[method-assign]
    DistributedIterationComponent._map_run = _map_run  # type: ignore[method-assign]


def _count_batched_items(record: Any) -> None:
    """DescribeMapRun's itemCounts count items, not batches, on AWS; moto counted one item per child.
    Recounted from the children fix_result_writer_writes_results recorded (a child's input is its batch)."""
    children = getattr(record, "movers_children", None)
    if children is None:
        return
    done = {"SUCCEEDED": 0, "FAILED": 0}
    for child in children:
        done[child["Status"]] += len(json.loads(child["Input"]).get("Items", []))
    counts = record.item_counter
    counts.total._count = done["SUCCEEDED"] + done["FAILED"]
    counts.succeeded._count = counts.results_written._count = done["SUCCEEDED"]
    counts.failed._count = done["FAILED"]


def exceeds_tolerance(failed: int, total: int, count: int | None, percentage: float | None) -> bool:
    """AWS's rule: with neither ToleratedFailureCount nor ToleratedFailurePercentage declared, one failed
    child fails the MapRun; otherwise it fails when failed children exceed a declared count or their share
    exceeds a declared percentage (either one exceeded is enough). Pure."""
    if failed == 0:
        return False
    if count is None and percentage is None:
        return True
    over_count = count is not None and failed > count
    over_share = percentage is not None and total > 0 and failed * 100.0 / total > percentage
    return over_count or over_share


def fix_distributed_map_tolerated_failures() -> None:
    """A Distributed Map fails with ``States.ExceedToleratedFailureThreshold`` when too many children fail.

    AWS counts failed, timed-out and aborted child executions against ToleratedFailureCount and
    ToleratedFailurePercentage (default zero: any failed child fails the MapRun and the Map state, which its
    Catch can handle). moto records the failure in the MapRun's counters and lets the Map succeed with
    ``null`` in that child's place, so a run whose fetch failed would carry on as if it had fetched.
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (  # noqa: E501
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.tolerated_failure import (
        ToleratedFailureCountDecl,
        ToleratedFailurePercentageDecl,
    )

    original_props = StateMap.from_state_props
    original_execution = StateMap._eval_execution
    original = DistributedIterationComponent._map_run

    def from_state_props(self: Any, state_props: Any) -> None:
        # moto puts a default in place of an absent field; AWS treats an absent one as not declared.
        self.movers_tolerance_declared = (
            state_props.get(ToleratedFailureCountDecl) is not None,
            state_props.get(ToleratedFailurePercentageDecl) is not None,
        )
        original_props(self, state_props)

    def _eval_execution(self: Any, env: Any) -> None:
        env.movers_tolerance_declared = getattr(self, "movers_tolerance_declared", (False, False))
        original_execution(self, env)

    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        original(self, env, eval_input)
        record = eval_input.map_run_record
        counts = record.execution_counter
        failed = counts.failed.get() + counts.timed_out.get() + counts.aborted.get()
        # moto counts a child that raised (a Fail state, an uncaught error) on the item counter only.
        failed = max(failed, record.item_counter.failed.get() + record.item_counter.timed_out.get())
        total = counts.total.get()
        count_declared, share_declared = getattr(env, "movers_tolerance_declared", (False, False))
        count = int(eval_input.tolerated_failure_count or 0) if count_declared else None
        share = float(eval_input.tolerated_failure_percentage or 0.0) if share_declared else None
        if exceeds_tolerance(failed, total, count, share):
            env.stack.pop()  # the children's outputs: the Map has no result
            raise _failure(
                env,
                StatesErrorNameType.StatesExceedToleratedFailureThreshold,
                f"{TOLERATED_FAILURE_CAUSE} ({failed} of {total} child executions failed)",
            )

    StateMap.from_state_props = from_state_props  # type: ignore[method-assign]
    StateMap._eval_execution = _eval_execution  # type: ignore[method-assign]
    DistributedIterationComponent._map_run = _map_run  # type: ignore[method-assign]


def fix_distributed_map_children_have_their_own_history() -> None:
    """Each child execution of a Distributed Map has its own event history.

    AWS: a child is an execution of its own (Standard: its own 25,000-event history; Express: none kept), and
    the parent's history holds only the MapRun's events. moto gives all children of a MapRun one shared
    event manager, so with the 25,000-event limit (fix_execution_history_limit) the children together would
    end the run at 25,000 events across all of them, and a 2,000-item MapRun would keep every child's events
    in memory. Each child now starts a fresh, unlimited-by-siblings history that is dropped when it ends.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
        DistributedItemProcessorWorker,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    original = DistributedItemProcessorWorker._eval_job

    def _eval_job(self: Any, env: Any, job: Any) -> None:
        env.event_manager = EventManager()
        original(self, env, job)

    DistributedItemProcessorWorker._eval_job = _eval_job  # type: ignore[method-assign]


def result_files(
    prefix: str, map_run_arn: str, children: list[dict[str, Any]]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, bytes]]:
    """AWS's ResultWriter layout for one MapRun: ``<Prefix>/<MapRun id>/SUCCEEDED_<n>.json`` and
    ``FAILED_<n>.json`` (JSON arrays of child execution results, at most RESULTS_PER_FILE each), listed in
    ``manifest.json``'s ResultFiles with their sizes. Returns (files by status, bodies by key). Pure."""
    folder = prefix + map_run_arn.split(":")[-1] + "/"
    listed: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    bodies: dict[str, bytes] = {}
    for status in ("SUCCEEDED", "FAILED"):
        rows = [c for c in children if c["Status"] == status]
        for n, start in enumerate(range(0, len(rows), RESULTS_PER_FILE)):
            key = f"{folder}{status}_{n}.json"
            body = json.dumps(rows[start : start + RESULTS_PER_FILE]).encode()
            bodies[key] = body
            listed[status].append({"Key": key, "Size": len(body)})
    return listed, bodies


def fix_result_writer_writes_results() -> None:
    """``ResultWriter`` writes the children's results and a manifest that lists them.

    AWS writes, under ``<Prefix>/<MapRun id>/``, ``SUCCEEDED_0.json`` (and ``FAILED_0.json``, ...): arrays of
    ``{ExecutionArn, Input, Output, Status, ...}`` per child execution, ``Input``/``Output`` as JSON strings,
    and ``manifest.json`` ``{DestinationBucket, MapRunArn, ResultFiles: {FAILED, PENDING, SUCCEEDED: [{Key,
    Size}]}}``; the Map state's output is ``{MapRunArn, ResultWriterDetails: {Bucket, Key}}`` with the
    manifest's key. moto writes the manifest with empty ResultFiles and drops the results. The children's
    inputs are taken where moto starts them (the job pool), the outputs where it collects them.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component import (  # noqa: E501
        DistributedIterationComponent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3 import (  # noqa: E501
        ResourceEvalS3,
    )

    original_map_run = DistributedIterationComponent._map_run

    def _map_run(self: Any, env: Any, eval_input: Any) -> None:
        inputs = list(env.stack[-1]) if env.stack and isinstance(env.stack[-1], list) else []
        original_map_run(self, env, eval_input)
        record = eval_input.map_run_record
        outputs = env.stack[-1] if env.stack and isinstance(env.stack[-1], list) else []
        arn = record.map_run_arn.replace(":mapRun:", ":execution:")
        record.movers_children = [
            {
                "ExecutionArn": f"{arn}-{index:05d}",
                "Input": json.dumps(item),
                "InputDetails": {"Included": True},
                "Name": f"{record.map_run_arn.split(':')[-1]}-{index:05d}",
                "Output": json.dumps(out),
                "OutputDetails": {"Included": True},
                "Status": "SUCCEEDED" if out is not None else "FAILED",
            }
            for index, (item, out) in enumerate(zip(inputs, outputs, strict=False))
        ]

    def _handle_put_object(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
        parameters = dict(env.stack.pop())
        env.stack.pop()  # the children's outputs (written below from the MapRun record)
        s3 = ResourceEvalS3._get_s3_client(
            resource_runtime_part=resource_runtime_part, state_credentials=state_credentials
        )
        record = env.map_run_record_pool_manager.get_all()[-1]
        prefix = str(parameters.get("Prefix", ""))
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        listed, bodies = result_files(prefix, record.map_run_arn, getattr(record, "movers_children", []))
        for key, body in bodies.items():
            s3.put_object(Bucket=parameters["Bucket"], Key=key, Body=body)
        manifest = {
            "DestinationBucket": parameters["Bucket"],
            "MapRunArn": record.map_run_arn,
            "ResultFiles": listed,
        }
        key = prefix + record.map_run_arn.split(":")[-1] + "/manifest.json"
        s3.put_object(Bucket=parameters["Bucket"], Key=key, Body=json.dumps(manifest).encode())
        env.stack.append(
            {
                "MapRunArn": record.map_run_arn,
                "ResultWriterDetails": {"Bucket": parameters["Bucket"], "Key": key},
            }
        )

    DistributedIterationComponent._map_run = _map_run  # type: ignore[method-assign]
    ResourceEvalS3._handle_put_object = staticmethod(_handle_put_object)  # type: ignore[method-assign]


def fix_result_writer_parameters_read_the_map_input() -> None:
    """``ResultWriter.Parameters`` paths (``"Bucket.$": "$.bucket"``) read the Map state's input.

    AWS evaluates them against the state's input, as every other field of the state. moto evaluates them
    against the list of the children's outputs (the value on top of its stack at that point), so any path in
    them fails with "The JSONPath ... could not be found". The Map's input is put under the template while
    it is evaluated and taken away again.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.result_writer_decl import (  # noqa: E501
        ResultWriter,
    )

    def _eval_body(self: Any, env: Any) -> None:
        env.stack.append(env.states.get_input())
        self.parargs.eval(env=env)
        parameters = env.stack.pop()
        env.stack.pop()  # the Map's input
        env.stack.append(parameters)
        self.resource_eval.eval_resource(env=env)

    ResultWriter._eval_body = _eval_body  # type: ignore[method-assign]
