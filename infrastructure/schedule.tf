# The daily schedule: EventBridge Scheduler in America/New_York after the close, Monday to Friday, invoking
# start_daily, which starts the ingest execution `daily-<date>` (a name Scheduler cannot derive itself).

variable "schedule_enabled" {
  type        = bool
  description = "Whether the daily schedule is ENABLED (false keeps it, DISABLED)."
  default     = true
}

variable "schedule_expression" {
  type        = string
  description = "Scheduler expression in schedule_timezone; default 18:30 Monday-Friday (EOD data settles by ~17:30 ET)."
  default     = "cron(30 18 ? * MON-FRI *)"
  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...), rate(...) or at(...)."
  }
}

variable "schedule_timezone" {
  type        = string
  description = "Time zone of schedule_expression."
  default     = "America/New_York"
}

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
      # A taken name is looked at: a failed daily-<date> attempt is followed by daily-<date>-retry-<n>.
      sid       = "DescribeDailyAttempts"
      actions   = ["states:DescribeExecution"]
      resources = ["${replace(module.sfn_ingest.arn, ":stateMachine:", ":execution:")}:daily-*"]
    },
  ]
  common = local.fn_common
}

data "aws_iam_policy_document" "daily_scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    # Only schedules of this account may use the role (confused-deputy guard).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "daily_scheduler" {
  name               = "${local.name_prefix}-daily-scheduler"
  assume_role_policy = data.aws_iam_policy_document.daily_scheduler_assume.json
}

data "aws_iam_policy_document" "daily_scheduler" {
  statement {
    sid       = "InvokeStartDaily"
    actions   = ["lambda:InvokeFunction"]
    resources = [module.fn_start_daily.alias_arn]
  }
}

resource "aws_iam_role_policy" "daily_scheduler" {
  name   = "${local.name_prefix}-daily-scheduler"
  role   = aws_iam_role.daily_scheduler.id
  policy = data.aws_iam_policy_document.daily_scheduler.json
}

resource "aws_scheduler_schedule" "daily" {
  #checkov:skip=CKV_AWS_297:the schedule's input is {} or a date: nothing to protect with a customer key
  name                         = "${local.name_prefix}-daily"
  description                  = "Starts the ingest run daily-<date> after the US close."
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = module.fn_start_daily.alias_arn
    role_arn = aws_iam_role.daily_scheduler.arn
    input    = jsonencode({ source = "schedule" })
    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }
}

output "daily_schedule_name" {
  description = "EventBridge Scheduler schedule that starts the daily run (`movers schedule fire` runs it locally)."
  value       = aws_scheduler_schedule.daily.name
}
