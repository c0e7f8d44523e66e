# A function invoked (or a state machine started) on a schedule: the EventBridge Scheduler schedule and the
# role it reaches the target with. The role trusts scheduler.amazonaws.com only for schedules of this account
# (aws:SourceAccount, the confused-deputy guard) and may call exactly one action on exactly one target ARN (a
# `live` alias).

data "aws_iam_policy_document" "assume" {
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
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

data "aws_iam_policy_document" "invoke" {
  statement {
    sid       = var.invoke_sid
    actions   = [var.target_action]
    resources = [var.target_arn]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = var.role_name
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.invoke.json
}

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:a schedule's input here is a small JSON marker ({} or {"source": "schedule"}): nothing to protect with a customer key
  name                         = var.name
  description                  = var.description
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.target_arn
    role_arn = aws_iam_role.this.arn
    input    = var.input
    retry_policy {
      maximum_event_age_in_seconds = var.max_event_age_seconds
      maximum_retry_attempts       = var.max_retry_attempts
    }
  }
}
