# One Standard state machine: its execution log group, its role (the caller's least-privilege statements,
# log delivery, X-Ray when enabled) and the machine itself.

locals {
  machine_name = "${var.name_prefix}-${var.name}"

  # The ASL sources are valid JSON as committed (editors, the AWS Toolkit's graph, asl-validator read them), so
  # a number is written as a string holding its placeholder: "MaxConcurrency": "${max_concurrency}". Unquoting
  # exactly those placeholders gives back the template as Terraform always rendered it (MaxConcurrency:
  # ${max_concurrency}), so the definition is byte-for-byte what templatefile() produced and the number stays
  # a JSON number. jsonencode(jsondecode(...)) with the numbers set would also give numbers, but re-serialises
  # the whole document (keys sorted, whitespace dropped, < > & escaped): a different definition, a new
  # published version, and a deployed text that no longer matches the file.
  number_placeholders = "/\"(\\$\\{(?:${join("|", keys(var.definition_numbers))})\\})\"/"
  definition_template = replace(file(var.definition_file), local.number_placeholders, "$1")
  definition          = templatestring(local.definition_template, merge(var.definition_vars, var.definition_numbers))
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:log data holds no secrets (the API key never reaches logs, tested); CloudWatch Logs encrypts it with an AWS key; a customer key adds key-policy operations
  #checkov:skip=CKV_AWS_338:retention is var.log_retention_days per environment (1-90 days): cost over a year of debug logs; the audit trail in DynamoDB is the kept record
  name              = "/aws/vendedlogs/states/${local.machine_name}"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    # Only this account's state machines may use the role (confused-deputy guard, as AWS's Step Functions
    # guide recommends and the scheduler and EventBridge roles have).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${local.machine_name}-sfn"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = var.policy_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
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
      sid = "XRayTraces"
      # X-Ray has no resource-level permissions for these actions; AWS documents "*".
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${local.machine_name}-sfn"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_sfn_state_machine" "this" {
  #checkov:skip=CKV_AWS_284:X-Ray tracing is var.tracing_enabled (on in prod.tfvars, off in dev/local for cost); checkov cannot resolve the variable
  name       = local.machine_name
  role_arn   = aws_iam_role.this.arn
  type       = "STANDARD"
  definition = local.definition
  # Every definition change publishes a version; callers start executions on the `live` alias.
  publish = true

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this.arn}:*"
    include_execution_data = true
    level                  = var.log_level
  }

  tracing_configuration {
    enabled = var.tracing_enabled
  }

  depends_on = [aws_iam_role_policy.this]
}

# What schedules, rules and functions start. A deploy moves it to the version just published; `movers
# rollback` moves it back (docs/operations.md#releases).
resource "aws_sfn_alias" "live" {
  name        = "live"
  description = "The released version of ${local.machine_name}."
  routing_configuration {
    state_machine_version_arn = aws_sfn_state_machine.this.state_machine_version_arn
    weight                    = 100
  }
}
