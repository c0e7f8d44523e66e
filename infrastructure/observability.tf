# Observability, in four files: this one holds the lists every alarm and dashboard widget is generated from;
# alarms.tf the alert topic and the alarms (one map of "count above zero" alarms, plus the few with their
# own shape); dashboard.tf the operations dashboard; staleness.tf the scheduled staleness check. What each
# alarm means and what to do: docs/operations.md.
#
# The function and state-machine lists below are the single source for alarms and dashboard widgets;
# tests/infrastructure checks from the plan that every Lambda function and state machine of the stack is in
# them, so a new function without alarms fails the tests instead of going unwatched.

locals {
  # Every function and state machine of the stack: alarms and dashboard widgets are generated from these.
  observed_functions = {
    validate_input   = module.fn_validate_input.function_name
    fetch_bars       = module.fn_fetch_bars.function_name
    pick_winner      = module.fn_pick_winner.function_name
    store_day        = module.fn_store_day.function_name
    start_daily      = module.fn_start_daily.function_name
    api              = module.fn_api.function_name
    analysis_prepare = module.fn_analysis_prepare.function_name
    analysis_ticker  = module.fn_analysis_ticker.function_name
    analysis_store   = module.fn_analysis_store.function_name
    analysis_catchup = module.fn_analysis_catchup.function_name
    plan_backfill    = module.fn_plan_backfill.function_name
    fetch_range      = module.fn_fetch_range.function_name
    store_sessions   = module.fn_store_sessions.function_name
    audit_record     = module.fn_audit_record.function_name
    staleness_check  = module.fn_staleness_check.function_name
    reconcile        = module.fn_reconcile.function_name
    push_bars        = module.fn_push_bars.function_name
  }
  observed_state_machines = {
    ingest         = module.sfn_ingest.arn
    daily_analysis = module.sfn_daily_analysis.arn
    backfill       = module.sfn_backfill.arn
    reconcile      = module.sfn_reconcile.arn
  }
  observed_tables = {
    main    = aws_dynamodb_table.main.name
    control = aws_dynamodb_table.control.name
  }
  metrics_namespace = "StockMovers"
  metrics_service   = "stock-movers" # POWERTOOLS_SERVICE_NAME of the pipeline functions (the EMF dimension)
  api_name          = aws_api_gateway_rest_api.api.name
  api_stage         = aws_api_gateway_stage.v1.stage_name
  alarm_prefix      = "${local.name_prefix}-"
}
