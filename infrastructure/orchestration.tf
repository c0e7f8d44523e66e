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
  # The ingest machine's own ARN (its Distributed Map starts child executions of it), built from its name:
  # the module's output cannot feed the module's own policy.
  ingest_machine_arn = "arn:aws:states:${var.region}:${local.account_id}:stateMachine:${local.name_prefix}-ingest"
  # Seconds one child batch needs when the children running at once share the provider's quota evenly.
  # Express children are cheaper (docs/cost.md) but end at 5 minutes: they are used only while a batch needs
  # at most 120 s at the quota, leaving room for other executions sharing the limiter; Standard otherwise.
  distributed_child_seconds = (var.distributed_batch_size * var.distributed_max_concurrency *
  var.rate_limit_period_seconds / var.rate_limit_calls)
  distributed_execution_type = local.distributed_child_seconds <= 120 ? "EXPRESS" : "STANDARD"
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

  account_id      = local.account_id
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
    # the Distributed Map's items, child results and child type
    bucket_name                = module.data_bucket.bucket
    distributed_execution_type = local.distributed_execution_type
  }
  definition_numbers = {
    max_concurrency             = var.map_max_concurrency
    gap_heal_sessions           = var.gap_heal_sessions
    distributed_map_threshold   = var.distributed_map_threshold
    distributed_batch_size      = var.distributed_batch_size
    distributed_max_concurrency = var.distributed_max_concurrency
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
      # The Distributed Map: Write Fetch Items and the ResultWriter write, the ItemReader reads, only the
      # run's own work objects (work/ingest/<execution>/...); the two multipart actions are AWS's documented
      # ResultWriter policy (large result files are uploaded in parts).
      sid       = "FanOutWorkObjects"
      actions   = ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]
      resources = ["${module.data_bucket.arn}/work/ingest/*"]
    },
    {
      # The Distributed Map starts its child executions on this machine (and its versions, through `live`).
      sid       = "StartDistributedChildren"
      actions   = ["states:StartExecution"]
      resources = [local.ingest_machine_arn, "${local.ingest_machine_arn}:*"]
    },
    {
      sid       = "ManageDistributedChildren"
      actions   = ["states:DescribeExecution", "states:StopExecution"]
      resources = ["${replace(local.ingest_machine_arn, ":stateMachine:", ":execution:")}/*"]
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
