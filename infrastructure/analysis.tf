# The daily-analysis state machine (Standard workflow): its three functions, the report topic, and the
# EventBridge rule that starts it from the ingest machine's MoverStored event.

variable "analysis_unusual_threshold" {
  type        = number
  description = "A day's move is flagged unusual when |z-score| against the ticker's previous 20 sessions exceeds this."
  default     = 2.0
  validation {
    condition     = var.analysis_unusual_threshold > 0 && var.analysis_unusual_threshold <= 10
    error_message = "analysis_unusual_threshold must be within (0, 10]."
  }
}

variable "analysis_report_email" {
  type        = string
  description = "Email address subscribed to the daily analysis report (empty: no subscription)."
  default     = ""
  validation {
    condition     = var.analysis_report_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.analysis_report_email))
    error_message = "analysis_report_email must be empty or an email address."
  }
}

locals {
  analysis_env = {
    TABLE_NAME        = aws_dynamodb_table.main.name
    BUCKET_NAME       = aws_s3_bucket.data.bucket
    UNUSUAL_THRESHOLD = tostring(var.analysis_unusual_threshold)
    WATCHLIST         = join(",", var.watchlist)
  }
  analysis_functions = [
    module.fn_analysis_prepare.function_arn,
    module.fn_analysis_ticker.function_arn,
    module.fn_analysis_store.function_arn,
  ]
}

# ------------------------------------------------------------------------------------------ functions

module "fn_analysis_prepare" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "analysis_prepare"
  zip_path    = "${local.dist_dir}/functions/analysis_prepare.zip"
  layer_arns  = local.base_layers
  environment = { WATCHLIST = join(",", var.watchlist) }
  timeout     = 10
  memory_size = 256
  common      = local.fn_common
}

module "fn_analysis_ticker" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "analysis_ticker"
  zip_path    = "${local.dist_dir}/functions/analysis_ticker.zip"
  layer_arns  = local.base_layers
  environment = local.analysis_env
  timeout     = 20
  memory_size = 256
  policy_statements = [
    {
      sid       = "ReadTickerDays"
      actions   = ["dynamodb:Query"]
      resources = [aws_dynamodb_table.main.arn]
    },
  ]
  common = local.fn_common
}

module "fn_analysis_store" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "analysis_store"
  zip_path    = "${local.dist_dir}/functions/analysis_store.zip"
  layer_arns  = concat(local.base_layers, [aws_lambda_layer_version.arrow.arn])
  environment = local.analysis_env
  timeout     = 30
  memory_size = 512
  policy_statements = [
    {
      sid       = "ReadWinnersWriteSummary"
      actions   = ["dynamodb:Query", "dynamodb:PutItem"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      sid       = "WriteAnalysisParquet"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.data.arn}/curated/analysis/*"]
    },
  ]
  common = local.fn_common
}

# ------------------------------------------------------------------------------------------ report topic

resource "aws_sns_topic" "analysis_report" {
  name              = "${local.name_prefix}-analysis-report"
  display_name      = "stock-movers daily analysis"
  kms_master_key_id = local.is_local ? null : "alias/aws/sns"
}

resource "aws_sns_topic_subscription" "analysis_report_email" {
  count     = var.analysis_report_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.analysis_report.arn
  protocol  = "email"
  endpoint  = var.analysis_report_email
}

# ------------------------------------------------------------------------------------------ state machine

module "sfn_daily_analysis" {
  source = "./modules/state_machine"

  name_prefix = local.name_prefix
  name        = "daily-analysis"
  definition = templatefile("${path.module}/../statemachines/daily_analysis.asl.json", {
    prepare_arn      = module.fn_analysis_prepare.function_arn
    ticker_arn       = module.fn_analysis_ticker.function_arn
    store_arn        = module.fn_analysis_store.function_arn
    report_topic_arn = aws_sns_topic.analysis_report.arn
    max_concurrency  = var.map_max_concurrency
  })
  policy_statements = [
    {
      sid       = "InvokeAnalysisFunctions"
      actions   = ["lambda:InvokeFunction"]
      resources = concat(local.analysis_functions, [for arn in local.analysis_functions : "${arn}:*"])
    },
    {
      sid       = "PublishReport"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.analysis_report.arn]
    },
  ]
  log_level          = var.sfn_log_level
  log_retention_days = var.log_retention_days
  tracing_enabled    = var.tracing_enabled
}

# ------------------------------------------------------------------------------------------ MoverStored -> analysis

resource "aws_cloudwatch_event_rule" "mover_stored" {
  name        = "${local.name_prefix}-mover-stored"
  description = "The ingest machine stored a day's winner: analyse that day."
  event_pattern = jsonencode({
    source      = [local.event_source]
    detail-type = ["MoverStored"]
  })
}

data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "mover_stored_target" {
  name               = "${local.name_prefix}-mover-stored-target"
  assume_role_policy = data.aws_iam_policy_document.events_assume.json
}

data "aws_iam_policy_document" "mover_stored_target" {
  statement {
    sid       = "StartDailyAnalysis"
    actions   = ["states:StartExecution"]
    resources = [module.sfn_daily_analysis.arn]
  }
}

resource "aws_iam_role_policy" "mover_stored_target" {
  name   = "${local.name_prefix}-mover-stored-target"
  role   = aws_iam_role.mover_stored_target.id
  policy = data.aws_iam_policy_document.mover_stored_target.json
}

resource "aws_cloudwatch_event_target" "daily_analysis" {
  rule     = aws_cloudwatch_event_rule.mover_stored.name
  arn      = module.sfn_daily_analysis.arn
  role_arn = aws_iam_role.mover_stored_target.arn

  # The machine's own input contract; it also accepts the raw event, so this only keeps inputs small.
  input_transformer {
    input_paths    = { date = "$.detail.date" }
    input_template = "{\"date\": \"<date>\"}"
  }
}
