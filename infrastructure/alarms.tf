# Alarms: the alert topic every alarm and every failed execution notifies (docs/operations.md), the alarms,
# and the SuccessCount log metric filter. Generated from the lists in observability.tf.

locals {
  alarm_actions = var.alarm_notifications_enabled ? [aws_sns_topic.alerts.arn] : []
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

locals {
  # What CloudWatch bills per alarm: one per metric an alarm reads (a metric-math alarm reads several).
  alarm_metric_count = (
    length(aws_cloudwatch_metric_alarm.count_above_zero) + 1       # api-latency-p99
    + 2 * length(aws_cloudwatch_metric_alarm.dynamodb_throttles)   # reads + writes per table
    + 1 + 1                                                        # winner-missing, failed-executions-queued
    + length(aws_cloudwatch_metric_alarm.market_data_dead_letters) # market-data-dead-letters (push.tf)
  )
}
