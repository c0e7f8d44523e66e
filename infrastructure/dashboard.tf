# The operations dashboard, generated from the lists in observability.tf.

locals {
  dashboard_region = var.region
  # CloudWatch's free tier holds 3 dashboards of up to 50 metrics each; a bigger one is billed ($3 a
  # month, more than the pipeline). So: errors per function (the Lambda alarms read account-wide
  # aggregates, this names the function), invocations, throttles and duration account-wide. At 50 metrics it
  # names every function but push_bars (push.tf): a refused event is no error there (it is audited and
  # dead-lettered); its failures move the account-wide errors alarm and land in the market-data DLQ.
  dashboard_functions = { for short, name in local.observed_functions : short => name if short != "push_bars" }
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
        metrics = [for short, name in local.dashboard_functions : ["AWS/Lambda", "Errors", "FunctionName", name, { label = short }]]
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
