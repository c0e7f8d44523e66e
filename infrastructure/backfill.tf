# The backfill state machine (Standard workflow), its functions, role and log group.

locals {
  # Built from its name, not read from the resource: the machine's definition needs plan_backfill's ARN.
  backfill_machine_arn = "arn:aws:states:${var.region}:${local.account_id}:stateMachine:${local.name_prefix}-backfill"
  backfill_live_arn    = "${local.backfill_machine_arn}:live" # gap healing starts it through this alias only
  backfill_executions  = replace(local.backfill_machine_arn, ":stateMachine:", ":execution:")
  backfill_functions = [
    module.fn_plan_backfill.function_arn,
    module.fn_fetch_range.function_arn,
    module.fn_store_sessions.function_arn,
    module.fn_store_day.function_arn, # Store Days: the daily run's store function, per session
  ]
}

module "fn_plan_backfill" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "plan_backfill"
  zip_path    = "${local.dist_dir}/functions/plan_backfill.zip"
  layer_arns  = local.base_layers
  environment = merge(local.env_main_table, local.env_watchlist, local.env_provider, {
    BACKFILL_MAX_SPAN_DAYS = tostring(var.backfill_max_span_days)
    BACKFILL_BATCH_SIZE    = tostring(var.backfill_batch_size)
  })
  timeout     = 30
  memory_size = 256
  policy_statements = [
    {
      sid       = "ReadStoredWinners"
      actions   = ["dynamodb:Query"]
      resources = [aws_dynamodb_table.main.arn]
    },
    local.watchlist_read,
  ]
  common = local.fn_common
}

module "fn_fetch_range" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "fetch_range"
  zip_path    = "${local.dist_dir}/functions/fetch_range.zip"
  layer_arns  = local.base_layers
  environment = local.env_fetch
  # Below the 65 s the Fetch Range state waits before retrying a crashed fetch (its in-progress lock).
  timeout     = 60
  memory_size = 512
  policy_statements = [
    {
      sid       = "RateLimiterAndIdempotency"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
      resources = [aws_dynamodb_table.control.arn]
    },
    {
      sid       = "RawAndWorkObjects"
      actions   = ["s3:PutObject"]
      resources = ["${module.data_bucket.arn}/raw/*", "${module.data_bucket.arn}/work/backfill/*"]
    },
    {
      sid       = "ProviderApiKey"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [aws_secretsmanager_secret.provider_api_key.arn]
    },
  ]
  common = local.fn_common
}

module "fn_store_sessions" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "store_sessions"
  zip_path    = "${local.dist_dir}/functions/store_sessions.zip"
  layer_arns  = local.base_layers
  environment = local.env_bucket
  timeout     = 300
  memory_size = 512
  policy_statements = [
    {
      sid       = "ReadWorkObjects"
      actions   = ["s3:GetObject"]
      resources = ["${module.data_bucket.arn}/work/backfill/*"]
    },
    {
      sid       = "WriteValidatedDays"
      actions   = ["s3:PutObject"]
      resources = ["${module.data_bucket.arn}/work/backfill/days/*"]
    },
  ]
  common = local.fn_common
}

module "sfn_backfill" {
  source = "./modules/state_machine"

  account_id      = local.account_id
  name_prefix     = local.name_prefix
  name            = "backfill"
  definition_file = "${path.module}/../statemachines/backfill.asl.json"
  definition_vars = {
    plan_backfill_arn  = module.fn_plan_backfill.alias_arn
    fetch_range_arn    = module.fn_fetch_range.alias_arn
    store_sessions_arn = module.fn_store_sessions.alias_arn
    store_day_arn      = module.fn_store_day.alias_arn
  }
  definition_numbers = {
    max_concurrency   = var.map_max_concurrency
    store_concurrency = var.backfill_store_concurrency
  }
  policy_statements = [
    {
      sid       = "InvokeBackfillFunctions"
      actions   = ["lambda:InvokeFunction"]
      resources = [for arn in local.backfill_functions : "${arn}:*"] # the machine invokes `live` aliases only
    },
  ]
  log_level          = var.sfn_log_level
  log_retention_days = var.log_retention_days
  tracing_enabled    = var.tracing_enabled
}

# Gap healing: the ingest machine asks plan_backfill (step "gaps") which sessions are missing, then starts this
# machine itself with the states:startExecution integration (orchestration.tf's StartHealingBackfill).
