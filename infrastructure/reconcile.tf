# The next-day reconcile (docs/pipeline.md): on weekdays at reconcile_hour_et (America/New_York), after the
# day's close and its daily run, the schedule starts the reconcile state machine: the reconcile function plans
# (re-reads the newest reconcile_sessions stored sessions, one range call per watchlist ticker through the
# shared rate limiter) and parks each revised day in S3 (work/reconcile/days/), the machine stores each
# revised day with the store_day function (force, reading it from that key), and the reconcile function
# records it (audit record; an alert on the alerts topic when a winner changed). No function invokes
# another: the machine drives the work.

module "fn_reconcile" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "reconcile"
  zip_path    = "${local.dist_dir}/functions/reconcile.zip"
  layer_arns  = local.base_layers
  environment = merge(local.env_fetch, local.env_main_table, local.env_watchlist, {
    BOARD_SIZE         = tostring(var.board_size)
    RECONCILE_SESSIONS = tostring(var.reconcile_sessions)
    ALERT_TOPIC_ARN    = aws_sns_topic.alerts.arn
  })
  # Room for one rate-limit wait per ticker call (the plan step).
  timeout     = 300
  memory_size = 256
  policy_statements = [
    local.watchlist_read,
    {
      # The shared sliding-window log only (no idempotency records: a re-run re-reads, which is its point).
      sid       = "RateLimiter"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
      resources = [aws_dynamodb_table.control.arn]
    },
    {
      # Query: the newest stored winners, each ticker's stored days and split events; GetItem: a day's
      # winner; PutItem: the revision's audit record and the fetched split events (SPLIT#<T>; the day's own
      # items are written by store_day, not here).
      sid       = "ReadStoredDaysWriteAudit"
      actions   = ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      # the range bodies and the splits-reference bodies (raw/provider=<p>/splits=<from>_<to>/)
      sid       = "RawRangeBodies"
      actions   = ["s3:PutObject"]
      resources = ["${module.data_bucket.arn}/raw/*"]
    },
    {
      # Each revised day's work object (winner, rows, changes): put by the plan step for Store Day, read
      # back by the record step for the audit's changes; the state carries only its key.
      sid       = "RevisedDayWorkObjects"
      actions   = ["s3:PutObject", "s3:GetObject"]
      resources = ["${module.data_bucket.arn}/work/reconcile/days/*"]
    },
    {
      sid       = "ProviderApiKey"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [aws_secretsmanager_secret.provider_api_key.arn]
    },
    {
      sid       = "AlertWinnerChanged"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.alerts.arn]
    },
  ]
  common = local.fn_common
}

module "sfn_reconcile" {
  source = "./modules/state_machine"

  account_id      = local.account_id
  name_prefix     = local.name_prefix
  name            = "reconcile"
  definition_file = "${path.module}/../statemachines/reconcile.asl.json"
  definition_vars = {
    reconcile_arn = module.fn_reconcile.alias_arn
    store_day_arn = module.fn_store_day.alias_arn
  }
  definition_numbers = {}
  policy_statements = [
    {
      sid     = "InvokeReconcileFunctions"
      actions = ["lambda:InvokeFunction"]
      # The plan, record and summarize steps and Store Day: `live` aliases only.
      resources = [module.fn_reconcile.alias_arn, module.fn_store_day.alias_arn]
    },
  ]
  log_level          = var.sfn_log_level
  log_retention_days = var.log_retention_days
  tracing_enabled    = var.tracing_enabled
}

# The weekday schedule starts the machine (its `live` alias) itself: EventBridge Scheduler's Step Functions
# target, with a role that may start exactly that alias. Scheduler names each execution.
module "reconcile_schedule" {
  source                = "./modules/scheduled_invoke"
  name                  = "${local.name_prefix}-reconcile"
  description           = "Starts the reconcile machine on weekdays at ${var.reconcile_hour_et}:00 ET: re-reads the newest stored sessions and stores provider revisions."
  role_name             = "${local.name_prefix}-reconcile-schedule"
  invoke_sid            = "StartReconcile"
  target_arn            = module.sfn_reconcile.alias_arn
  target_action         = "states:StartExecution"
  account_id            = local.account_id
  schedule_expression   = "cron(0 ${var.reconcile_hour_et} ? * MON-FRI *)"
  timezone              = "America/New_York"
  enabled               = var.schedule_enabled
  input                 = jsonencode({})
  max_event_age_seconds = 3600
  max_retry_attempts    = 2
}

# The schedule and its role were written here until they used the scheduled_invoke module: an applied
# stack's move.
moved {
  from = aws_iam_role.reconcile_schedule
  to   = module.reconcile_schedule.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.reconcile_schedule
  to   = module.reconcile_schedule.aws_iam_role_policy.this
}

moved {
  from = aws_scheduler_schedule.reconcile
  to   = module.reconcile_schedule.aws_scheduler_schedule.this
}
