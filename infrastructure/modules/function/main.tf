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
  #checkov:skip=CKV_AWS_158:log data holds no secrets (the API key never reaches logs, tested); CloudWatch Logs encrypts it with an AWS key; a customer key adds key-policy operations
  #checkov:skip=CKV_AWS_338:retention is var.log_retention_days per environment (1-90 days): cost over a year of debug logs; the audit trail in DynamoDB is the kept record
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

# The zip goes to S3 and the function is created from there, not from `filename`: the AWS provider holds one
# global lock around every create or code update given a `filename`, for the whole call including its 5 s
# wait for the function to be Active, so a stack's 17 functions were created one after another (17 x >= 5 s
# of an apply, on AWS as on the local AWS). From S3 they are created in parallel. The key carries the zip's
# digest, as the layers' do (layers.tf): a changed zip is a new object, the old one a noncurrent version the
# bucket's lifecycle expires; no function role can read artifacts/.
resource "aws_s3_object" "code" {
  bucket = var.common.artifact_bucket
  key    = "artifacts/functions/${var.name}-${filesha256(var.zip_path)}.zip"
  source = var.zip_path
  # not `etag`: the provider uploads a file over its part size in parts, whose ETag is no MD5 of the file
  source_hash = filemd5(var.zip_path)
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_115:no reserved concurrency: provider calls are bounded by the shared DynamoDB rate limiter and Map MaxConcurrency, and reserving per function fragments a small account's pool
  #checkov:skip=CKV_AWS_116:invoked synchronously (Step Functions Retry/Catch, API Gateway) or by EventBridge with its own retry policy; failed executions go to the execution dead-letter queue
  #checkov:skip=CKV_AWS_117:no private resources to reach; the functions call public AWS APIs and the market-data API, a VPC would only add NAT cost
  #checkov:skip=CKV_AWS_173:environment variables hold names and settings only, never secrets (the API key is read from Secrets Manager); Lambda encrypts them at rest with an AWS key
  #checkov:skip=CKV_AWS_272:code signing is an organisation choice; zips are reproducible builds from this repository, deployed by Terraform
  function_name    = local.function_name
  role             = aws_iam_role.this.arn
  s3_bucket        = aws_s3_object.code.bucket
  s3_key           = aws_s3_object.code.key
  source_code_hash = filebase64sha256(var.zip_path)
  handler          = var.handler
  runtime          = var.common.runtime
  architectures    = [var.common.architecture]
  layers           = var.layer_arns
  timeout          = var.timeout
  memory_size      = var.memory_size
  # Every change publishes an immutable version; callers invoke the `live` alias (docs/operations.md#releases).
  publish = true

  environment {
    variables = merge({
      POWERTOOLS_SERVICE_NAME      = "stock-movers"
      POWERTOOLS_METRICS_NAMESPACE = "StockMovers"
      POWERTOOLS_LOG_LEVEL         = var.common.log_level
      POWERTOOLS_TRACE_DISABLED    = var.common.tracing_enabled ? "false" : "true"
      # The state machines own retries (backoff, jitter, named errors): the SDK makes AWS's standard 3
      # attempts, so a throttled call surfaces in seconds instead of after legacy DynamoDB's 10 (~25 s).
      AWS_RETRY_MODE   = "standard"
      AWS_MAX_ATTEMPTS = "3"
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

# What every caller invokes. A deploy moves it to the version just published; `movers rollback` moves it back.
resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "The released version of ${local.function_name}."
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version
}
