# The daily schedule: EventBridge Scheduler in America/New_York after the close, Monday to Friday, invoking
# start_daily, which starts the ingest execution `daily-<date>` (a name Scheduler cannot derive itself).
# With market_schedule_enabled a second schedule at the same time invokes it with scope market, which starts
# the whole-market run `daily-market-<date>` (its own name, retries and winner item).

module "fn_start_daily" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "start_daily"
  zip_path    = "${local.dist_dir}/functions/start_daily.zip"
  layer_arns  = local.base_layers
  environment = { STATE_MACHINE_ARN = module.sfn_ingest.alias_arn }
  timeout     = 15
  memory_size = 128
  policy_statements = [
    {
      sid       = "StartDailyExecution"
      actions   = ["states:StartExecution"]
      resources = [module.sfn_ingest.alias_arn] # started through its `live` alias only
    },
    {
      # A taken name is looked at: a failed daily-<date> attempt is followed by daily-<date>-retry-<n>
      # (the whole market's: daily-market-<date>[-retry-<n>], under the same prefix).
      sid       = "DescribeDailyAttempts"
      actions   = ["states:DescribeExecution"]
      resources = ["${replace(module.sfn_ingest.arn, ":stateMachine:", ":execution:")}:daily-*"]
    },
  ]
  common = local.fn_common
}

module "daily_schedule" {
  source                = "./modules/scheduled_invoke"
  name                  = "${local.name_prefix}-daily"
  description           = "Starts the ingest run daily-<date> after the US close."
  role_name             = "${local.name_prefix}-daily-scheduler"
  invoke_sid            = "InvokeStartDaily"
  target_arn            = module.fn_start_daily.alias_arn
  account_id            = local.account_id
  schedule_expression   = var.schedule_expression
  timezone              = var.schedule_timezone
  enabled               = var.schedule_enabled
  input                 = jsonencode({ source = "schedule" })
  max_event_age_seconds = 3600
  max_retry_attempts    = 3
}

module "market_schedule" {
  count                 = var.market_schedule_enabled ? 1 : 0
  source                = "./modules/scheduled_invoke"
  name                  = "${local.name_prefix}-daily-market"
  description           = "Starts the whole-market run daily-market-<date> after the US close."
  role_name             = "${local.name_prefix}-daily-market-scheduler"
  invoke_sid            = "InvokeStartDailyMarket"
  target_arn            = module.fn_start_daily.alias_arn
  account_id            = local.account_id
  schedule_expression   = var.schedule_expression
  timezone              = var.schedule_timezone
  enabled               = var.schedule_enabled
  input                 = jsonencode({ source = "schedule", scope = "market" })
  max_event_age_seconds = 3600
  max_retry_attempts    = 3
}

# The schedule and its role were written here until the scheduled_invoke module: an applied stack's move.
moved {
  from = aws_iam_role.daily_scheduler
  to   = module.daily_schedule.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.daily_scheduler
  to   = module.daily_schedule.aws_iam_role_policy.this
}

moved {
  from = aws_scheduler_schedule.daily
  to   = module.daily_schedule.aws_scheduler_schedule.this
}
