# Observability: the alert topic, alarms, the dashboard, the SuccessCount log metric filter and the scheduled
# staleness check. What each alarm means and what to do: docs/operations.md.
#
# The function and state-machine lists below are the single source for alarms and dashboard widgets;
# tests/infrastructure checks from the plan that every Lambda function and state machine of the stack is in
# them, so a new function without alarms fails the tests instead of going unwatched.

variable "alert_email" {
  type        = string
  description = "E-mail address subscribed to the alert topic (empty: no subscription; subscribe out of band)."
  default     = ""
  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be empty or an e-mail address."
  }
}

variable "alarm_notifications_enabled" {
  type        = bool
  description = "Whether alarms publish to the alert topic (false: alarms still change state, nobody is notified)."
  default     = true
}

variable "staleness_check_hour_et" {
  type        = number
  description = "Hour (America/New_York, Mon-Fri) by which the latest completed session's winner must be stored."
  default     = 19
  validation {
    condition     = var.staleness_check_hour_et >= 0 && var.staleness_check_hour_et <= 23 && floor(var.staleness_check_hour_et) == var.staleness_check_hour_et
    error_message = "staleness_check_hour_et must be a whole hour 0-23."
  }
}

variable "api_latency_alarm_ms" {
  type        = number
  description = "p99 API latency (ms) above which the API latency alarm fires."
  default     = 3000
  validation {
    condition     = var.api_latency_alarm_ms > 0
    error_message = "api_latency_alarm_ms must be positive."
  }
}

locals {
  alarm_actions = var.alarm_notifications_enabled ? [aws_sns_topic.alerts.arn] : []
}

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
  }
  observed_state_machines = {
    ingest         = module.sfn_ingest.arn
    daily_analysis = module.sfn_daily_analysis.arn
    backfill       = module.sfn_backfill.arn
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

# ---------------------------------------------------------------------------------------------- alert topic

resource "aws_sns_topic" "alerts" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms and EventBridge cannot publish to a topic encrypted with the AWS managed key; a customer key is a deployment choice (alert messages hold no secrets, only execution names and errors)
  name = "${local.name_prefix}-alerts"
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "AlarmsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:cloudwatch:${var.region}:${local.account_id}:alarm:${local.alarm_prefix}*"]
    }
  }
  statement {
    sid       = "FailureRulePublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.execution_failed.arn]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "alert_email" {
  count     = var.alert_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

# ---------------------------------------------------------------------------------------------- alarms

# Every "this count went above zero in five minutes" alarm. CloudWatch bills (and its free tier counts)
# alarm METRICS: $0.10 a month each beyond 10 per account, a metric-math alarm counting every metric it
# reads. So the default set watches the same failures through aggregates (docs/operations.md#alarms):
#   - Lambda errors and throttles through the account's region-wide AWS/Lambda metrics (no dimension): any
#     function of the stack that fails or is throttled moves them; the dashboard names the function;
#   - one alarm per state machine on ExecutionsFailed; timed-out and aborted executions (and failed ones)
#     also reach the dead-letter queue through the failure rule, watched by failed-executions-queued;
#   - DynamoDB throttling that fails a request surfaces as a Lambda error, an API 5xx or a failed
#     execution, all alarmed; the per-table throttle-event alarms are part of detailed_alarms.
# detailed_alarms = true adds one errors and one throttles alarm per function and the per-table throttle
# alarms (34 more alarm metrics: about $3.40 a month), for accounts shared by several stacks.
variable "detailed_alarms" {
  type        = bool
  description = "Per-function error/throttle and per-table DynamoDB throttle alarms besides the aggregate ones (34 more alarm metrics, beyond CloudWatch's free tier)."
  default     = false
}

locals {
  count_alarms = merge(
    { for k, arn in local.observed_state_machines : "${k}-executions-failed" => {
      description = "A ${k} execution failed. See docs/operations.md#executions-failed."
      namespace   = "AWS/States", metric = "ExecutionsFailed", dimensions = { StateMachineArn = arn }
    } },
    { "lambda-errors" = {
      description = "A Lambda function in this account and region raised errors (the dashboard's Lambda errors widget names it). See docs/operations.md#lambda-errors."
      namespace   = "AWS/Lambda", metric = "Errors", dimensions = {}
    } },
    { "lambda-throttles" = {
      description = "A Lambda function in this account and region was throttled. See docs/operations.md#lambda-throttles."
      namespace   = "AWS/Lambda", metric = "Throttles", dimensions = {}
    } },
    { "api-5xx" = {
      description = "The read API answered 5xx. See docs/operations.md#api-5xx."
      namespace   = "AWS/ApiGateway", metric = "5XXError", dimensions = { ApiName = local.api_name, Stage = local.api_stage }
    } },
    !var.detailed_alarms ? {} : merge(
      { for k, fn in local.observed_functions : "${k}-errors" => {
        description = "The ${k} function raised errors. See docs/operations.md#lambda-errors."
        namespace   = "AWS/Lambda", metric = "Errors", dimensions = { FunctionName = fn }
      } },
      { for k, fn in local.observed_functions : "${k}-throttles" => {
        description = "The ${k} function was throttled. See docs/operations.md#lambda-throttles."
        namespace   = "AWS/Lambda", metric = "Throttles", dimensions = { FunctionName = fn }
      } },
    ),
  )
}

resource "aws_cloudwatch_metric_alarm" "count_above_zero" {
  for_each            = local.count_alarms
  alarm_name          = "${local.alarm_prefix}${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = length(each.value.dimensions) > 0 ? each.value.dimensions : null
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "api_latency" {
  alarm_name          = "${local.alarm_prefix}api-latency-p99"
  alarm_description   = "p99 API latency above ${var.api_latency_alarm_ms} ms for 15 minutes. See docs/operations.md#api-latency."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = { ApiName = local.api_name, Stage = local.api_stage }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.api_latency_alarm_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  for_each            = var.detailed_alarms ? local.observed_tables : {}
  alarm_name          = "${local.alarm_prefix}${each.key}-table-throttles"
  alarm_description   = "Requests to the ${each.key} table were throttled. See docs/operations.md#dynamodb-throttles."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions

  metric_query {
    id          = "throttles"
    expression  = "reads + writes"
    label       = "Throttle events"
    return_data = true
  }
  metric_query {
    id = "reads"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      dimensions  = { TableName = each.value }
      stat        = "Sum"
      period      = 300
    }
  }
  metric_query {
    id = "writes"
    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      dimensions  = { TableName = each.value }
      stat        = "Sum"
      period      = 300
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "winner_missing" {
  alarm_name          = "${local.alarm_prefix}winner-missing"
  alarm_description   = "No winner stored for the latest completed session by ${var.staleness_check_hour_et}:00 ET. See docs/operations.md#winner-missing."
  namespace           = local.metrics_namespace
  metric_name         = "WinnerMissing"
  dimensions          = { service = local.metrics_service }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  # The check runs once per weekday: no data between runs is normal. A check that cannot run raises the
  # staleness_check function's own error alarm instead.
  treat_missing_data = "notBreaching"
  alarm_actions      = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${local.alarm_prefix}failed-executions-queued"
  alarm_description   = "Failed, timed-out or aborted executions wait in the dead-letter queue. See docs/operations.md#failed-executions-queued."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.execution_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

# "Success: Stored <T> for <date>" lines of store_day (seed 000's SuccessCount).
resource "aws_cloudwatch_log_metric_filter" "success_count" {
  name           = "${local.name_prefix}-success-count"
  log_group_name = module.fn_store_day.log_group_name
  pattern        = "\"Success: Stored\""
  metric_transformation {
    name          = "SuccessCount"
    namespace     = local.metrics_namespace
    value         = "1"
    default_value = "0"
  }
}

# ---------------------------------------------------------------------------------------------- staleness check

module "fn_staleness_check" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "staleness_check"
  zip_path    = "${local.dist_dir}/functions/staleness_check.zip"
  layer_arns  = local.base_layers
  environment = { TABLE_NAME = aws_dynamodb_table.main.name }
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
  function_arn        = module.fn_staleness_check.alias_arn
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

# ---------------------------------------------------------------------------------------------- dashboard

locals {
  dashboard_region = var.region
  # CloudWatch's free tier holds 3 dashboards of up to 50 metrics each; a bigger one is billed ($3 a
  # month, more than the pipeline). So: errors per function (the Lambda alarms read account-wide
  # aggregates, this names the function), invocations, throttles and duration account-wide.
  fn_widgets = [
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title   = "Lambda errors by function"
        region  = local.dashboard_region
        view    = "timeSeries"
        stat    = "Sum"
        period  = 300
        metrics = [for short, name in local.observed_functions : ["AWS/Lambda", "Errors", "FunctionName", name, { label = short }]]
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "Lambda (account-wide): invocations, throttles, duration p99"
        region = local.dashboard_region
        view   = "timeSeries"
        period = 300
        metrics = [
          ["AWS/Lambda", "Invocations", { stat = "Sum", label = "invocations" }],
          ["AWS/Lambda", "Throttles", { stat = "Sum", label = "throttles" }],
          ["AWS/Lambda", "Duration", { stat = "p99", label = "duration p99 ms", yAxis = "right" }],
        ]
      }
    },
  ]
  sfn_widgets = [
    for short, arn in local.observed_state_machines : {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "${short} executions"
        region = local.dashboard_region
        view   = "timeSeries"
        period = 300
        metrics = [
          ["AWS/States", "ExecutionsStarted", "StateMachineArn", arn, { stat = "Sum", label = "started" }],
          ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", arn, { stat = "Sum", label = "succeeded" }],
          ["AWS/States", "ExecutionsFailed", "StateMachineArn", arn, { stat = "Sum", label = "failed" }],
        ]
      }
    }
  ]
  pipeline_widgets = [
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "Provider calls and rate-limited waits"
        region = local.dashboard_region
        view   = "timeSeries"
        period = 300
        metrics = [
          [local.metrics_namespace, "ProviderCalls", "service", local.metrics_service, { stat = "Sum", label = "provider calls" }],
          [local.metrics_namespace, "RateLimitedWaitSeconds", "service", local.metrics_service, { stat = "Sum", label = "rate-limited wait s", yAxis = "right" }],
          [local.metrics_namespace, "RateLimitWaits", "service", local.metrics_service, { stat = "Sum", label = "rate-limit Wait answers" }],
          [local.metrics_namespace, "TickersFetched", "service", local.metrics_service, { stat = "Sum", label = "tickers fetched" }],
        ]
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "Winners stored"
        region = local.dashboard_region
        view   = "timeSeries"
        period = 3600
        metrics = [
          [local.metrics_namespace, "WinnerStored", "service", local.metrics_service, { stat = "Sum", label = "WinnerStored (EMF)" }],
          [local.metrics_namespace, "SuccessCount", { stat = "Sum", label = "SuccessCount (log filter)" }],
          [local.metrics_namespace, "WinnerMissing", "service", local.metrics_service, { stat = "Maximum", label = "WinnerMissing (staleness check)" }],
        ]
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "API requests, 4xx, 5xx and latency"
        region = local.dashboard_region
        view   = "timeSeries"
        period = 300
        metrics = [
          ["AWS/ApiGateway", "Count", "ApiName", local.api_name, "Stage", local.api_stage, { stat = "Sum", label = "requests" }],
          ["AWS/ApiGateway", "4XXError", "ApiName", local.api_name, "Stage", local.api_stage, { stat = "Sum", label = "4xx" }],
          ["AWS/ApiGateway", "5XXError", "ApiName", local.api_name, "Stage", local.api_stage, { stat = "Sum", label = "5xx" }],
          ["AWS/ApiGateway", "Latency", "ApiName", local.api_name, "Stage", local.api_stage, { stat = "p99", label = "latency p99 ms", yAxis = "right" }],
        ]
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "DynamoDB throttle events"
        region = local.dashboard_region
        view   = "timeSeries"
        period = 300
        # concat, not flatten: flatten would also flatten each metric's own array into loose strings
        metrics = concat(
          [for short, table in local.observed_tables : ["AWS/DynamoDB", "ReadThrottleEvents", "TableName", table, { stat = "Sum", label = "${short} reads" }]],
          [for short, table in local.observed_tables : ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", table, { stat = "Sum", label = "${short} writes" }]],
        )
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title  = "Data bucket: objects and size (daily)"
        region = local.dashboard_region
        view   = "timeSeries"
        period = 86400
        metrics = [
          ["AWS/S3", "NumberOfObjects", "BucketName", module.data_bucket.bucket, "StorageType", "AllStorageTypes", { stat = "Average", label = "objects" }],
          ["AWS/S3", "BucketSizeBytes", "BucketName", module.data_bucket.bucket, "StorageType", "StandardStorage", { stat = "Average", label = "bytes (Standard)", yAxis = "right" }],
          ["AWS/S3", "BucketSizeBytes", "BucketName", module.data_bucket.bucket, "StorageType", "StandardIAStorage", { stat = "Average", label = "bytes (Standard-IA)", yAxis = "right" }],
        ]
      }
    },
    {
      type   = "metric"
      width  = 12
      height = 6
      properties = {
        title   = "Failed executions waiting in the dead-letter queue"
        region  = local.dashboard_region
        view    = "timeSeries"
        period  = 300
        metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.execution_dlq.name, { stat = "Maximum", label = "messages" }]]
      }
    },
  ]
}

locals {
  dashboard_metric_count = sum([for w in concat(local.sfn_widgets, local.pipeline_widgets, local.fn_widgets) : length(w.properties.metrics)])
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = "${local.name_prefix}-operations"
  dashboard_body = jsonencode({
    widgets = concat(local.sfn_widgets, local.pipeline_widgets, local.fn_widgets)
  })
}

locals {
  # What CloudWatch bills per alarm: one per metric an alarm reads (a metric-math alarm reads several).
  alarm_metric_count = (
    length(aws_cloudwatch_metric_alarm.count_above_zero) + 1     # api-latency-p99
    + 2 * length(aws_cloudwatch_metric_alarm.dynamodb_throttles) # reads + writes per table
    + 1 + 1                                                      # winner-missing, failed-executions-queued
  )
}

output "dashboard_metric_count" {
  description = "Metrics on the dashboard (CloudWatch's free tier: 3 dashboards of up to 50 metrics)."
  value       = local.dashboard_metric_count
}

output "alarm_metric_count" {
  description = "Alarm metrics this deployment is billed for (CloudWatch's free tier covers 10 per account)."
  value       = local.alarm_metric_count
}

output "alert_topic_arn" {
  description = "SNS topic that receives every alarm and every failed, timed-out or aborted execution."
  value       = aws_sns_topic.alerts.arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the stack."
  value       = aws_cloudwatch_dashboard.main.dashboard_name
}

output "staleness_function_name" {
  description = "Name of the staleness-check function (invoke it for a drill)."
  value       = module.fn_staleness_check.function_name
}
