# The ingest state machine (Standard workflow), its role and its execution log group.

locals {
  # The fetch strategies each provider serves: the Python adapters' `capabilities` (providers/base.py)
  # mirrored here; tests/infrastructure/test_capabilities.py keeps the two equal.
  provider_fetch_strategies = {
    massive      = ["per_ticker", "snapshot", "push"]
    alphavantage = ["per_ticker", "push"]
    tiingo       = ["per_ticker", "push"]
  }
  # The calls a day each provider's free plan allows (0: no daily quota): the adapters' `daily_calls`,
  # kept equal by the same test. A paid plan sets var.provider_daily_calls instead.
  provider_free_daily_calls = {
    massive      = 0
    alphavantage = 25
    tiingo       = 1000
  }
  event_source = "stock-movers.${var.environment}"
  ingest_functions = [
    module.fn_validate_input.function_arn,
    module.fn_fetch_bars.function_arn,
    module.fn_pick_winner.function_arn,
    module.fn_store_day.function_arn,
    module.fn_plan_backfill.function_arn, # gap healing (backfill.tf)
    module.fn_push_bars.function_arn,     # fetch_strategy push: Collect Pushed Bars (push.tf)
  ]
}

module "sfn_ingest" {
  source = "./modules/state_machine"

  name_prefix     = local.name_prefix
  name            = "ingest"
  definition_file = "${path.module}/../statemachines/ingest.asl.json"
  definition_vars = {
    validate_input_arn = module.fn_validate_input.alias_arn
    fetch_bars_arn     = module.fn_fetch_bars.alias_arn
    pick_winner_arn    = module.fn_pick_winner.alias_arn
    store_day_arn      = module.fn_store_day.alias_arn
    push_bars_arn      = module.fn_push_bars.alias_arn
    table_name         = aws_dynamodb_table.main.name
    event_bus_name     = "default"
    event_source       = local.event_source
    # gap healing (see backfill.tf): Find Gaps asks plan_backfill, Start Healing Backfill starts the backfill
    plan_backfill_arn    = module.fn_plan_backfill.alias_arn
    backfill_machine_arn = local.backfill_live_arn
    backfill_executions  = local.backfill_executions
  }
  definition_numbers = {
    max_concurrency   = var.map_max_concurrency
    gap_heal_sessions = var.gap_heal_sessions
  }
  policy_statements = [
    {
      sid       = "InvokePipelineFunctions"
      actions   = ["lambda:InvokeFunction"]
      resources = [for arn in local.ingest_functions : "${arn}:*"] # the machine invokes `live` aliases only
    },
    {
      sid       = "ReadWinner"
      actions   = ["dynamodb:GetItem"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      # Record Pending Announcement / Clear Pending Announcement on the winner item.
      sid       = "MarkAnnouncementPending"
      actions   = ["dynamodb:UpdateItem"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      # Start Healing Backfill (states:startExecution, request-response: no DescribeExecution, no events rule).
      sid       = "StartHealingBackfill"
      actions   = ["states:StartExecution"]
      resources = [local.backfill_live_arn] # started through its `live` alias only
    },
    {
      sid       = "AnnounceMoverStored"
      actions   = ["events:PutEvents"]
      resources = ["arn:aws:events:${var.region}:${local.account_id}:event-bus/default"]
    },
  ]
  log_level          = var.sfn_log_level
  log_retention_days = var.log_retention_days
  tracing_enabled    = var.tracing_enabled
}
