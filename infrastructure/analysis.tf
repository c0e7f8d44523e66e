# The daily-analysis state machine (Standard workflow): its three functions, the report topic, the
# EventBridge rule that starts it from the ingest machine's MoverStored event, and the scheduled catch-up
# (EventBridge Scheduler -> analysis_catchup) that analyses recent stored days nothing announced.

locals {
  env_analysis = { UNUSUAL_THRESHOLD = tostring(var.analysis_unusual_threshold) }
  analysis_functions = [
    module.fn_analysis_prepare.function_arn,
    module.fn_analysis_ticker.function_arn,
    module.fn_analysis_store.function_arn,
  ]
}

# ------------------------------------------------------------------------------------------ functions

module "fn_analysis_prepare" {
  source            = "./modules/function"
  name_prefix       = local.name_prefix
  name              = "analysis_prepare"
  zip_path          = "${local.dist_dir}/functions/analysis_prepare.zip"
  layer_arns        = local.base_layers
  environment       = merge(local.env_watchlist, { ANALYSIS_BATCH_SIZE = tostring(var.analysis_batch_size) })
  timeout           = 10
  memory_size       = 256
  policy_statements = [local.watchlist_read]
  common            = local.fn_common
}

module "fn_analysis_ticker" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "analysis_ticker"
  zip_path    = "${local.dist_dir}/functions/analysis_ticker.zip"
  layer_arns  = local.base_layers
  environment = merge(local.env_main_table, local.env_bucket, local.env_analysis)
  # One batch: up to 100 bounded Queries, 8 at a time.
  timeout     = 60
  memory_size = 256
  policy_statements = [
    {
      sid       = "ReadTickerDays"
      actions   = ["dynamodb:Query"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      # The batch's figures, for Store Analysis (the state carries the key, not the figures).
      sid       = "WriteAnalysisWork"
      actions   = ["s3:PutObject"]
      resources = ["${module.data_bucket.arn}/work/analysis/*"]
    },
  ]
  common = local.fn_common
}

module "fn_analysis_store" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "analysis_store"
  zip_path    = "${local.dist_dir}/functions/analysis_store.zip"
  layer_arns  = concat(local.base_layers, [aws_lambda_layer_version.layer["arrow"].arn])
  environment = merge(local.env_main_table, local.env_bucket, local.env_analysis)
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
      resources = ["${module.data_bucket.arn}/curated/analysis/*"]
    },
    {
      # The batches' figures, left by Analyse Tickers.
      sid       = "ReadAnalysisWork"
      actions   = ["s3:GetObject"]
      resources = ["${module.data_bucket.arn}/work/analysis/*"]
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

  account_id      = local.account_id
  name_prefix     = local.name_prefix
  name            = "daily-analysis"
  definition_file = "${path.module}/../statemachines/daily_analysis.asl.json"
  definition_vars = {
    prepare_arn      = module.fn_analysis_prepare.alias_arn
    ticker_arn       = module.fn_analysis_ticker.alias_arn
    store_arn        = module.fn_analysis_store.alias_arn
    report_topic_arn = aws_sns_topic.analysis_report.arn
    table_name       = aws_dynamodb_table.main.name
  }
  definition_numbers = { max_concurrency = var.map_max_concurrency }
  policy_statements = [
    {
      sid       = "InvokeAnalysisFunctions"
      actions   = ["lambda:InvokeFunction"]
      resources = [for arn in local.analysis_functions : "${arn}:*"] # the machine invokes `live` aliases only
    },
    {
      sid       = "PublishReport"
      actions   = ["sns:Publish"]
      resources = [aws_sns_topic.analysis_report.arn]
    },
    {
      # Read Stored Winner (GetItem), Claim Day (PutItem), Release Claim (DeleteItem).
      sid       = "ReadWinnerClaimDay"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
      resources = [aws_dynamodb_table.main.arn]
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
    # Only this account's rules may use the role (confused-deputy guard, as the scheduler roles have).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
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
    resources = [module.sfn_daily_analysis.alias_arn]
  }
}

resource "aws_iam_role_policy" "mover_stored_target" {
  name   = "${local.name_prefix}-mover-stored-target"
  role   = aws_iam_role.mover_stored_target.id
  policy = data.aws_iam_policy_document.mover_stored_target.json
}

resource "aws_cloudwatch_event_target" "daily_analysis" {
  rule     = aws_cloudwatch_event_rule.mover_stored.name
  arn      = module.sfn_daily_analysis.alias_arn
  role_arn = aws_iam_role.mover_stored_target.arn

  # The machine's own input contract; it also accepts the raw event, so this only keeps inputs small.
  input_transformer {
    input_paths    = { date = "$.detail.date" }
    input_template = "{\"date\": \"<date>\"}"
  }
}

# ------------------------------------------------------------------------------------------ catch-up

module "fn_analysis_catchup" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "analysis_catchup"
  zip_path    = "${local.dist_dir}/functions/analysis_catchup.zip"
  layer_arns  = local.base_layers
  environment = merge(local.env_main_table, {
    ANALYSIS_STATE_MACHINE_ARN = module.sfn_daily_analysis.alias_arn
    EVENT_BUS_NAME             = "default"
    EVENT_SOURCE               = local.event_source
    CATCHUP_SESSIONS           = tostring(var.analysis_catchup_sessions)
  })
  timeout     = 30
  memory_size = 256
  policy_statements = [
    {
      # Winners, analyses and claims of the window (Query); removing a winner's pending mark (UpdateItem).
      sid       = "ReadDaysClearPending"
      actions   = ["dynamodb:Query", "dynamodb:UpdateItem"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      sid       = "ReannounceMoverStored"
      actions   = ["events:PutEvents"]
      resources = ["arn:aws:events:${var.region}:${local.account_id}:event-bus/default"]
    },
    {
      sid       = "StartDailyAnalysis"
      actions   = ["states:StartExecution"]
      resources = [module.sfn_daily_analysis.alias_arn] # started through its `live` alias only
    },
  ]
  common = local.fn_common
}

module "analysis_catchup_schedule" {
  source                = "./modules/scheduled_invoke"
  name                  = "${local.name_prefix}-analysis-catchup"
  description           = "Analyses recent stored days without an analysis and re-announces pending MoverStored events."
  role_name             = "${local.name_prefix}-analysis-catchup-scheduler"
  invoke_sid            = "InvokeAnalysisCatchUp"
  target_arn            = module.fn_analysis_catchup.alias_arn
  account_id            = local.account_id
  schedule_expression   = var.analysis_catchup_expression
  timezone              = var.schedule_timezone
  enabled               = var.schedule_enabled
  input                 = jsonencode({ source = "schedule" })
  max_event_age_seconds = 3600
  max_retry_attempts    = 3
}

# The schedule and its role were written here until the scheduled_invoke module: an applied stack's move.
moved {
  from = aws_iam_role.analysis_catchup_scheduler
  to   = module.analysis_catchup_schedule.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.analysis_catchup_scheduler
  to   = module.analysis_catchup_schedule.aws_iam_role_policy.this
}

moved {
  from = aws_scheduler_schedule.analysis_catchup
  to   = module.analysis_catchup_schedule.aws_scheduler_schedule.this
}
