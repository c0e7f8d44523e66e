"""Every fix this project applies to moto, one module per AWS service; :func:`apply` installs them all
(idempotent).

Each fix is a small function whose docstring says what AWS does and why the fix is faithful. They exist only
where moto lacks or mis-implements an API that Terraform's AWS provider or our state machines use. Each has
a test in ``tests/local/test_compat*.py``.

Environment: ``MOVERS_TIME_SCALE`` (float, default 1.0) scales every Wait state and Retry interval sleep
(Step Functions Local calls the same knob WAIT_TIME_SCALE); history timestamps stay real. ``SFN_MOCK_CONFIG``
names Step Functions Local's mock configuration file, used by executions started on ``arn#TestCase``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from movers.local.compat.apigateway import (
    fix_openapi_import_mock_integration,
)
from movers.local.compat.awslambda import (
    ENVIRONMENT_MAX_BYTES,
    INVOKE_REQUEST_MAX_BYTES,
    INVOKE_RESPONSE_MAX_BYTES,
    environment_bytes,
    fix_lambda_async_on_failure_destination,
    fix_lambda_code_size_limits,
    fix_lambda_environment_size_limit,
    fix_lambda_invoke_payload_limits,
    fix_lambda_invoke_qualifier_parameter,
    fix_lambda_stored_config,
)
from movers.local.compat.distributed_map import (
    ItemBatcherError,
    batch_items,
    exceeds_tolerance,
    fix_distributed_map_children_have_their_own_history,
    fix_distributed_map_grammar,
    fix_distributed_map_tolerated_failures,
    fix_item_batcher,
    fix_result_writer_parameters_read_the_map_input,
    fix_result_writer_writes_results,
    result_files,
    split_distributed_map_fields,
)
from movers.local.compat.dynamodb import (
    fix_dynamodb_query_reads_one_partition,
    fix_dynamodb_requests_are_atomic,
    fix_dynamodb_transaction_rollback,
)
from movers.local.compat.events import (
    fix_disabled_rules_deliver_nothing,
    fix_events_lambda_and_sns_targets,
    fix_events_step_functions_targets,
    fix_schedule_rules_ignore_put_events,
    target_input,
)
from movers.local.compat.iam import (
    fix_policy_condition_on_missing_key_is_not_applicable,
)
from movers.local.compat.s3 import (
    fix_s3_inventory_round_trip,
)
from movers.local.compat.server import fix_backend_list_is_read_once
from movers.local.compat.stepfunctions import (
    HISTORY_LIMIT_CAUSE,
    HISTORY_MAX_EVENTS,
    STATE_PAYLOAD_MAX_BYTES,
    DefinitionError,
    HistoryLimitReached,
    aws_timestamp,
    fix_dynamodb_task_keeps_its_failure,
    fix_events_task_service_errors,
    fix_execution_history_limit,
    fix_execution_history_paging,
    fix_execution_input_size_is_validated,
    fix_execution_name_and_output,
    fix_execution_start_time,
    fix_json_path_parse_is_cached,
    fix_list_state_machine_versions,
    fix_parameters_output_size_is_checked,
    fix_start_execution_on_version_or_alias,
    fix_state_payload_size_is_counted_as_aws_counts_it,
    fix_states_all_does_not_catch_terminal_errors,
    fix_step_functions_status_change_events,
    fix_step_functions_task_speaks_the_api_shapes,
    fix_time_scale,
    fix_validate_state_machine_definition,
    is_within_state_payload_quota,
    pick_alias_version,
    set_time_scale,
    state_payload_bytes,
    status_change_detail,
    time_scale,
    validate_definition,
)
from movers.local.compat.stepfunctions_local import (
    MOCK_CONFIG_ENV,
    MockConfigError,
    fix_mocked_responses_count_invocations,
    fix_step_functions_local_mock_config,
    load_mock_test_case,
)

__all__ = [
    "ENVIRONMENT_MAX_BYTES",
    "FIXES",
    "HISTORY_LIMIT_CAUSE",
    "HISTORY_MAX_EVENTS",
    "INVOKE_REQUEST_MAX_BYTES",
    "INVOKE_RESPONSE_MAX_BYTES",
    "MOCK_CONFIG_ENV",
    "STATE_PAYLOAD_MAX_BYTES",
    "DefinitionError",
    "HistoryLimitReached",
    "ItemBatcherError",
    "MockConfigError",
    "apply",
    "aws_timestamp",
    "batch_items",
    "environment_bytes",
    "exceeds_tolerance",
    "fix_backend_list_is_read_once",
    "fix_disabled_rules_deliver_nothing",
    "fix_distributed_map_children_have_their_own_history",
    "fix_distributed_map_grammar",
    "fix_distributed_map_tolerated_failures",
    "fix_dynamodb_query_reads_one_partition",
    "fix_dynamodb_requests_are_atomic",
    "fix_dynamodb_task_keeps_its_failure",
    "fix_dynamodb_transaction_rollback",
    "fix_events_lambda_and_sns_targets",
    "fix_events_step_functions_targets",
    "fix_events_task_service_errors",
    "fix_execution_history_limit",
    "fix_execution_history_paging",
    "fix_execution_input_size_is_validated",
    "fix_execution_name_and_output",
    "fix_execution_start_time",
    "fix_item_batcher",
    "fix_json_path_parse_is_cached",
    "fix_lambda_code_size_limits",
    "fix_lambda_environment_size_limit",
    "fix_lambda_invoke_payload_limits",
    "fix_lambda_invoke_qualifier_parameter",
    "fix_lambda_stored_config",
    "fix_list_state_machine_versions",
    "fix_mocked_responses_count_invocations",
    "fix_openapi_import_mock_integration",
    "fix_parameters_output_size_is_checked",
    "fix_policy_condition_on_missing_key_is_not_applicable",
    "fix_result_writer_parameters_read_the_map_input",
    "fix_result_writer_writes_results",
    "fix_s3_inventory_round_trip",
    "fix_schedule_rules_ignore_put_events",
    "fix_start_execution_on_version_or_alias",
    "fix_state_payload_size_is_counted_as_aws_counts_it",
    "fix_states_all_does_not_catch_terminal_errors",
    "fix_step_functions_local_mock_config",
    "fix_step_functions_status_change_events",
    "fix_step_functions_task_speaks_the_api_shapes",
    "fix_time_scale",
    "fix_validate_state_machine_definition",
    "is_within_state_payload_quota",
    "load_mock_test_case",
    "pick_alias_version",
    "result_files",
    "set_time_scale",
    "split_distributed_map_fields",
    "state_payload_bytes",
    "status_change_detail",
    "target_input",
    "time_scale",
    "validate_definition",
]

_applied = False

_lock = threading.Lock()

FIXES: list[Callable[[], None]] = [
    fix_backend_list_is_read_once,
    fix_time_scale,
    fix_json_path_parse_is_cached,
    fix_validate_state_machine_definition,
    fix_list_state_machine_versions,
    fix_execution_start_time,
    fix_execution_name_and_output,
    fix_lambda_stored_config,
    fix_lambda_code_size_limits,
    fix_openapi_import_mock_integration,
    fix_policy_condition_on_missing_key_is_not_applicable,
    fix_s3_inventory_round_trip,
    fix_dynamodb_requests_are_atomic,
    fix_events_step_functions_targets,
    fix_schedule_rules_ignore_put_events,
    fix_events_lambda_and_sns_targets,
    fix_step_functions_status_change_events,
    fix_events_task_service_errors,
    fix_disabled_rules_deliver_nothing,
    fix_dynamodb_transaction_rollback,
    fix_dynamodb_query_reads_one_partition,
    fix_state_payload_size_is_counted_as_aws_counts_it,
    fix_parameters_output_size_is_checked,
    fix_execution_input_size_is_validated,
    fix_states_all_does_not_catch_terminal_errors,
    fix_execution_history_limit,
    fix_execution_history_paging,
    fix_lambda_environment_size_limit,
    fix_lambda_invoke_payload_limits,
    fix_step_functions_local_mock_config,
    fix_mocked_responses_count_invocations,
    fix_dynamodb_task_keeps_its_failure,
    fix_start_execution_on_version_or_alias,
    fix_lambda_invoke_qualifier_parameter,
    fix_step_functions_task_speaks_the_api_shapes,
    fix_lambda_async_on_failure_destination,
    fix_distributed_map_grammar,
    # The three below wrap one another's _map_run: batching (outermost) runs first, so the result writer
    # (innermost) records each child's batch as its input; the failure check reads the finished MapRun.
    fix_result_writer_writes_results,
    fix_distributed_map_tolerated_failures,
    fix_item_batcher,
    fix_distributed_map_children_have_their_own_history,
    fix_result_writer_parameters_read_the_map_input,
]


def apply(time_scale: float | None = None) -> None:
    """Applies every fix once per process; sets the time scale from the argument or ``MOVERS_TIME_SCALE``."""
    global _applied
    scale = time_scale if time_scale is not None else float(os.environ.get("MOVERS_TIME_SCALE", "1.0"))
    set_time_scale(scale)
    with _lock:
        if _applied:
            return
        for fix in FIXES:
            fix()
        _applied = True
