# Failure capture and the audit trail, both fed by Step Functions "Execution Status Change" events of this
# stack's state machines (matched by ARN prefix, so a new machine of the stack is covered without edits):
# - failed, timed-out and aborted executions -> an SQS dead-letter queue (kept 14 days) and the alert topic;
# - every finished execution -> the audit_record function -> a kept item pk="AUDIT#<date>" in the main table.

locals {
  # arn:aws:states:<region>:<account>:stateMachine:<name_prefix>-<machine>
  state_machine_arn_prefix = "arn:aws:states:${var.region}:${local.account_id}:stateMachine:${local.name_prefix}-"
}

resource "aws_sqs_queue" "execution_dlq" {
  name                      = "${local.name_prefix}-failed-executions"
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: time to investigate and redrive
  sqs_managed_sse_enabled   = true
}

resource "aws_cloudwatch_event_rule" "execution_failed" {
  name        = "${local.name_prefix}-execution-failed"
  description = "Failed, timed-out or aborted executions of this stack's state machines."
  event_pattern = jsonencode({
    source      = ["aws.states"]
    detail-type = ["Step Functions Execution Status Change"]
    detail = {
      status          = ["FAILED", "TIMED_OUT", "ABORTED"]
      stateMachineArn = [{ prefix = local.state_machine_arn_prefix }]
    }
  })
}

data "aws_iam_policy_document" "execution_dlq" {
  statement {
    sid       = "OnlyTheFailureRule"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.execution_dlq.arn]
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

resource "aws_sqs_queue_policy" "execution_dlq" {
  queue_url = aws_sqs_queue.execution_dlq.id
  policy    = data.aws_iam_policy_document.execution_dlq.json
}

resource "aws_cloudwatch_event_target" "failed_to_dlq" {
  rule      = aws_cloudwatch_event_rule.execution_failed.name
  target_id = "dead-letter-queue"
  arn       = aws_sqs_queue.execution_dlq.arn
}

resource "aws_cloudwatch_event_target" "failed_to_alerts" {
  rule      = aws_cloudwatch_event_rule.execution_failed.name
  target_id = "alert-topic"
  arn       = aws_sns_topic.alerts.arn
  input_transformer {
    input_paths = {
      name   = "$.detail.name"
      status = "$.detail.status"
      error  = "$.detail.error"
      arn    = "$.detail.executionArn"
    }
    # One JSON object (placeholders as whole values): what an e-mail subscriber reads.
    input_template = <<-EOT
      {"alert": "A stock-movers execution ended unsuccessfully", "execution": <name>, "status": <status>, "error": <error>, "executionArn": <arn>, "next": "movers trace / movers redrive with the executionArn; see docs/operations.md"}
    EOT
  }
}

# ---------------------------------------------------------------------------------------------- audit trail

module "fn_audit_record" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "audit_record"
  zip_path    = "${local.dist_dir}/functions/audit_record.zip"
  layer_arns  = local.base_layers
  environment = local.env_main_table
  timeout     = 10
  memory_size = 256
  policy_statements = [{
    sid       = "WriteAuditRecords"
    actions   = ["dynamodb:PutItem"]
    resources = [aws_dynamodb_table.main.arn]
  }]
  common = local.fn_common
}

resource "aws_cloudwatch_event_rule" "execution_finished" {
  name        = "${local.name_prefix}-execution-finished"
  description = "Every finished execution of this stack's state machines, for the audit trail."
  event_pattern = jsonencode({
    source      = ["aws.states"]
    detail-type = ["Step Functions Execution Status Change"]
    detail = {
      status          = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
      stateMachineArn = [{ prefix = local.state_machine_arn_prefix }]
    }
  })
}

resource "aws_cloudwatch_event_target" "finished_to_audit" {
  rule      = aws_cloudwatch_event_rule.execution_finished.name
  target_id = "audit-record"
  arn       = module.fn_audit_record.alias_arn
  # An undeliverable audit event is retried for a day; failures show in the audit_record error alarm.
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 20
  }
}

resource "aws_lambda_permission" "audit_from_events" {
  statement_id  = "AllowAuditRule"
  action        = "lambda:InvokeFunction"
  function_name = module.fn_audit_record.function_name
  qualifier     = module.fn_audit_record.alias_name # the rule invokes the live alias
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.execution_finished.arn
}
