# The ingest state machine (Standard workflow), its role and its execution log group.

variable "fetch_strategy" {
  type        = string
  description = "per_ticker: one provider call per ticker; snapshot: one grouped-daily call per session (Massive only), read by every Map iteration."
  default     = "per_ticker"
  validation {
    condition     = contains(["per_ticker", "snapshot"], var.fetch_strategy)
    error_message = "fetch_strategy must be per_ticker or snapshot."
  }
}

variable "sfn_log_level" {
  type        = string
  description = "Step Functions execution logging level."
  default     = "ERROR"
  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.sfn_log_level)
    error_message = "sfn_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

locals {
  event_source = "stock-movers.${var.environment}"
  ingest_functions = [
    module.fn_validate_input.function_arn,
    module.fn_fetch_bars.function_arn,
    module.fn_pick_winner.function_arn,
    module.fn_store_day.function_arn,
  ]
}

resource "aws_cloudwatch_log_group" "ingest" {
  #checkov:skip=CKV_AWS_158:log data holds no secrets (the API key never reaches logs, tested); CloudWatch Logs encrypts it with an AWS key; a customer key adds key-policy operations
  #checkov:skip=CKV_AWS_338:retention is var.log_retention_days per environment (1-90 days): cost over a year of debug logs; the audit trail in DynamoDB is the kept record
  name              = "/aws/vendedlogs/states/${local.name_prefix}-ingest"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "sfn_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "ingest" {
  name               = "${local.name_prefix}-ingest-sfn"
  assume_role_policy = data.aws_iam_policy_document.sfn_assume.json
}

data "aws_iam_policy_document" "ingest" {
  statement {
    sid       = "InvokePipelineFunctions"
    actions   = ["lambda:InvokeFunction"]
    resources = concat(local.ingest_functions, [for arn in local.ingest_functions : "${arn}:*"])
  }
  statement {
    sid       = "ReadWinner"
    actions   = ["dynamodb:GetItem"]
    resources = [aws_dynamodb_table.main.arn]
  }
  statement {
    sid       = "AnnounceMoverStored"
    actions   = ["events:PutEvents"]
    resources = ["arn:aws:events:${var.region}:${local.account_id}:event-bus/default"]
  }
  statement {
    sid = "ExecutionLogDelivery"
    # CloudWatch Logs delivery APIs have no resource-level permissions; AWS documents "*" for them.
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = var.tracing_enabled ? [1] : []
    content {
      sid       = "XRayTraces"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "ingest" {
  name   = "${local.name_prefix}-ingest-sfn"
  role   = aws_iam_role.ingest.id
  policy = data.aws_iam_policy_document.ingest.json
}

resource "aws_sfn_state_machine" "ingest" {
  #checkov:skip=CKV_AWS_284:X-Ray tracing is var.tracing_enabled (on in prod.tfvars, off in dev/local for cost); checkov cannot resolve the variable
  name     = "${local.name_prefix}-ingest"
  role_arn = aws_iam_role.ingest.arn
  type     = "STANDARD"
  definition = templatefile("${path.module}/../statemachines/ingest.asl.json", {
    validate_input_arn = module.fn_validate_input.function_arn
    fetch_bars_arn     = module.fn_fetch_bars.function_arn
    pick_winner_arn    = module.fn_pick_winner.function_arn
    store_day_arn      = module.fn_store_day.function_arn
    table_name         = aws_dynamodb_table.main.name
    max_concurrency    = var.map_max_concurrency
    event_bus_name     = "default"
    event_source       = local.event_source
    # gap healing (see backfill.tf)
    plan_backfill_arn = module.fn_plan_backfill.function_arn
    gap_heal_sessions = var.gap_heal_sessions
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.ingest.arn}:*"
    include_execution_data = true
    level                  = var.sfn_log_level
  }

  tracing_configuration {
    enabled = var.tracing_enabled
  }

  depends_on = [aws_iam_role_policy.ingest]
}
