# The staleness check: on weekdays at staleness_check_hour_et (America/New_York) a function checks that the
# latest completed session's winner is stored, and emits the WinnerMissing metric that alarms.tf watches.

module "fn_staleness_check" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "staleness_check"
  zip_path    = "${local.dist_dir}/functions/staleness_check.zip"
  layer_arns  = local.base_layers
  environment = local.env_main_table
  timeout     = 10
  memory_size = 256
  policy_statements = [{
    sid       = "ReadWinner"
    actions   = ["dynamodb:GetItem"]
    resources = [aws_dynamodb_table.main.arn]
  }]
  common = local.fn_common
}

module "staleness_schedule" {
  source              = "./modules/scheduled_invoke"
  name                = "${local.name_prefix}-staleness-check"
  description         = "Checks on weekdays at ${var.staleness_check_hour_et}:00 ET that the latest completed session's winner is stored."
  role_name           = "${local.name_prefix}-staleness-schedule"
  invoke_sid          = "InvokeStalenessCheck"
  target_arn          = module.fn_staleness_check.alias_arn
  account_id          = local.account_id
  schedule_expression = "cron(0 ${var.staleness_check_hour_et} ? * MON-FRI *)"
  timezone            = "America/New_York"
  input               = jsonencode({})
  max_retry_attempts  = 2
}

# The schedule and its role were written here until the scheduled_invoke module: an applied stack's move.
moved {
  from = aws_iam_role.staleness_schedule
  to   = module.staleness_schedule.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.staleness_schedule
  to   = module.staleness_schedule.aws_iam_role_policy.this
}

moved {
  from = aws_scheduler_schedule.staleness_check
  to   = module.staleness_schedule.aws_scheduler_schedule.this
}
