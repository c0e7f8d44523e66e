# One Lambda function: its execution role (logs + the caller's least-privilege statements), its log group
# (created before the function so retention applies from the first line), and the function itself.

locals {
  function_name = "${var.name_prefix}-${replace(var.name, "_", "-")}"
  log_group     = "/aws/lambda/${local.function_name}"
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${local.function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.common.tags
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group
  retention_in_days = var.common.log_retention_days
  tags              = var.common.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  dynamic "statement" {
    for_each = var.common.tracing_enabled ? [1] : []
    content {
      sid = "XRayTraces"
      # X-Ray trace segments have no resource-level permissions: AWS documents "*" as the only resource.
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.policy_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${local.function_name}-policy"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_lambda_function" "this" {
  function_name    = local.function_name
  role             = aws_iam_role.this.arn
  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  handler          = var.handler
  runtime          = var.common.runtime
  architectures    = [var.common.architecture]
  layers           = var.layer_arns
  timeout          = var.timeout
  memory_size      = var.memory_size

  environment {
    variables = merge({
      POWERTOOLS_SERVICE_NAME      = "stock-movers"
      POWERTOOLS_METRICS_NAMESPACE = "StockMovers"
      POWERTOOLS_LOG_LEVEL         = var.common.log_level
      POWERTOOLS_TRACE_DISABLED    = var.common.tracing_enabled ? "false" : "true"
    }, var.environment)
  }

  tracing_config {
    mode = var.common.tracing_enabled ? "Active" : "PassThrough"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags       = var.common.tags
  depends_on = [aws_iam_role_policy.this]
}
