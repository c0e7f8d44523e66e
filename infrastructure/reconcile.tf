# The next-day reconcile (docs/pipeline.md): on weekdays at reconcile_hour_et (America/New_York), after the
# day's close and its daily run, a function re-reads the newest reconcile_sessions stored sessions (one range
# call per watchlist ticker, through the shared rate limiter) and stores what the provider revised: through
# the store_day function (force), with an audit record, and an alert on the alerts topic when a winner changed.

module "fn_reconcile" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "reconcile"
  zip_path    = "${local.dist_dir}/functions/reconcile.zip"
  layer_arns  = local.base_layers
  environment = merge(local.env_fetch, local.env_main_table, local.env_watchlist, {
    BOARD_SIZE         = tostring(var.board_size)
    RECONCILE_SESSIONS = tostring(var.reconcile_sessions)
    STORE_DAY_FUNCTION = module.fn_store_day.alias_arn
    ALERT_TOPIC_ARN    = aws_sns_topic.alerts.arn
  })
  # Room for one rate-limit wait per ticker call and a store_day invocation per revised day.
  timeout     = 300
  memory_size = 256
  policy_statements = [
    {
      # The shared sliding-window log only (no idempotency records: a re-run re-reads, which is its point).
      sid       = "RateLimiter"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
      resources = [aws_dynamodb_table.control.arn]
    },
    {
      # Query: the newest stored winners and each ticker's stored days; GetItem: a day's winner; PutItem:
      # the revision's audit record (the day's own items are written by store_day, not here).
      sid       = "ReadStoredDaysWriteAudit"
      actions   = ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      sid       = "RawRangeBodies"
      actions   = ["s3:PutObject"]
      resources = ["${module.data_bucket.arn}/raw/*"]
    },
    {
      sid       = "ProviderApiKey"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [aws_secretsmanager_secret.provider_api_key.arn]
    },
    {
      sid       = "StoreRevisedDay"
      actions   = ["lambda:InvokeFunction"]
      resources = [module.fn_store_day.alias_arn]
    },
    {
      sid       = "AlertWinnerChanged"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.alerts.arn]
    },
  ]
  common = local.fn_common
}

module "reconcile_schedule" {
  source              = "./modules/scheduled_invoke"
  name                = "${local.name_prefix}-reconcile"
  description         = "Re-reads the newest stored sessions on weekdays at ${var.reconcile_hour_et}:00 ET and stores provider revisions."
  role_name           = "${local.name_prefix}-reconcile-schedule"
  invoke_sid          = "InvokeReconcile"
  function_arn        = module.fn_reconcile.alias_arn
  account_id          = local.account_id
  schedule_expression = "cron(0 ${var.reconcile_hour_et} ? * MON-FRI *)"
  timezone            = "America/New_York"
  enabled             = var.schedule_enabled
  input               = jsonencode({})
  max_retry_attempts  = 2
}
