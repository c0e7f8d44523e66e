# Bring your own feed (docs/push-feed.md): a custom EventBridge bus where an outside system publishes daily
# bars, the push_bars processor (stores valid bars, audits every event), a dead-letter queue for the events
# it refuses or cannot process, and the `push` fetch strategy's collect step (push_bars, step collect).

resource "aws_cloudwatch_event_bus" "market_data" {
  name = "${local.name_prefix}-market-data"
}

# Every event put on the bus goes to the processor, whatever its source or detail-type: the processor
# checks the schema, so a malformed event is audited and dead-lettered instead of matching no rule and
# vanishing. Only this account can put events on the bus (it has no resource policy).
resource "aws_cloudwatch_event_rule" "market_data" {
  name           = "${local.name_prefix}-market-data-bars"
  description    = "Every event on the market-data bus, for the push_bars processor."
  event_bus_name = aws_cloudwatch_event_bus.market_data.name
  event_pattern  = jsonencode({ account = [local.account_id] })
}

resource "aws_sqs_queue" "market_data_dlq" {
  name                      = "${local.name_prefix}-market-data-dlq"
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: time to fix the publisher and re-publish
  sqs_managed_sse_enabled   = true
}

data "aws_iam_policy_document" "market_data_dlq" {
  statement {
    # The rule's target dead-letter queue: events EventBridge could not deliver to the processor.
    sid       = "OnlyTheMarketDataRule"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.market_data_dlq.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.market_data.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "market_data_dlq" {
  queue_url = aws_sqs_queue.market_data_dlq.id
  policy    = data.aws_iam_policy_document.market_data_dlq.json
}

module "fn_push_bars" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "push_bars"
  zip_path    = "${local.dist_dir}/functions/push_bars.zip"
  layer_arns  = local.base_layers
  environment = merge(local.env_main_table, local.env_bucket, { DEAD_LETTER_QUEUE_URL = aws_sqs_queue.market_data_dlq.url })
  timeout     = 30
  memory_size = 256
  policy_statements = [
    {
      # A valid event's bar (pk=PUSHED#<date>) and every event's audit record (pk=AUDIT#<date>).
      sid       = "WritePushedBarsAndAudit"
      actions   = ["dynamodb:PutItem"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      # The push run's collect step: the session's pushed bars, one Query.
      sid       = "ReadPushedBars"
      actions   = ["dynamodb:Query"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      # A refused event (and, as the on-failure destination, an event the function failed on).
      sid       = "DeadLetterRefusedEvents"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.market_data_dlq.arn]
    },
    {
      # The push run's pushed bars for Pick Winner (the state machine carries the key, not the bars).
      sid       = "IngestWorkObjects"
      actions   = ["s3:PutObject"]
      resources = ["${module.data_bucket.arn}/work/ingest/*"]
    },
  ]
  common = local.fn_common
}

resource "aws_cloudwatch_event_target" "market_data_to_processor" {
  rule           = aws_cloudwatch_event_rule.market_data.name
  event_bus_name = aws_cloudwatch_event_bus.market_data.name
  target_id      = "push-bars"
  arn            = module.fn_push_bars.alias_arn
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 20
  }
  dead_letter_config {
    arn = aws_sqs_queue.market_data_dlq.arn
  }
}

resource "aws_lambda_permission" "push_bars_from_events" {
  statement_id  = "AllowMarketDataRule"
  action        = "lambda:InvokeFunction"
  function_name = module.fn_push_bars.function_name
  qualifier     = module.fn_push_bars.alias_name # the rule invokes the live alias
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.market_data.arn
}

# An event the function fails on (a storage fault after Lambda's two retries) joins the refused ones.
resource "aws_lambda_function_event_invoke_config" "push_bars" {
  function_name                = module.fn_push_bars.function_name
  qualifier                    = module.fn_push_bars.alias_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 21600
  destination_config {
    on_failure {
      destination = aws_sqs_queue.market_data_dlq.arn
    }
  }
}

# Events wait in the dead-letter queue: deployed with fetch_strategy = "push", where a refused bar changes
# what the daily run fetches. One more alarm metric (11: $0.10 a month past the free 10; docs/cost.md).
resource "aws_cloudwatch_metric_alarm" "market_data_dead_letters" {
  count               = var.fetch_strategy == "push" ? 1 : 0
  alarm_name          = "${local.alarm_prefix}market-data-dead-letters"
  alarm_description   = "Events of the market-data bus wait in its dead-letter queue (refused or not processed). See docs/operations.md#market-data-dead-letters."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.market_data_dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}
