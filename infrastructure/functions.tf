# The ingest pipeline's functions. Each gets only the permissions it uses, on exact ARNs.

locals {
  pipeline_env = {
    TABLE_NAME                     = aws_dynamodb_table.main.name
    CONTROL_TABLE_NAME             = aws_dynamodb_table.control.name
    BUCKET_NAME                    = module.data_bucket.bucket
    MARKET_PROVIDER                = var.market_provider
    PROVIDER_BASE_URL              = var.provider_base_url
    API_KEY_SECRET_ARN             = aws_secretsmanager_secret.provider_api_key.arn
    RATE_LIMIT_CALLS               = tostring(var.rate_limit_calls)
    RATE_LIMIT_PERIOD_SECONDS      = tostring(var.rate_limit_period_seconds)
    RATE_LIMIT_ALLOWANCE_SECONDS   = tostring(var.rate_limit_allowance_seconds)
    RATE_LIMIT_MAX_WAIT_SECONDS    = tostring(var.rate_limit_max_wait_seconds)
    RATE_LIMIT_WAIT_BUDGET_SECONDS = tostring(var.rate_limit_wait_budget_seconds)
    WATCHLIST                      = join(",", var.watchlist)
    API_KEY_CACHE_SECONDS          = tostring(var.api_key_cache_seconds)
    IDEMPOTENCY_TTL_SECONDS        = tostring(var.idempotency_ttl_seconds)
  }
  base_layers = [aws_lambda_layer_version.layer["shared"].arn, aws_lambda_layer_version.layer["deps"].arn]
}

module "fn_validate_input" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "validate_input"
  zip_path    = "${local.dist_dir}/functions/validate_input.zip"
  layer_arns  = local.base_layers
  environment = { WATCHLIST = join(",", var.watchlist), FETCH_STRATEGY = var.fetch_strategy, MARKET_PROVIDER = var.market_provider }
  timeout     = 10
  memory_size = 256
  common      = local.fn_common
}

module "fn_fetch_bars" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "fetch_bars"
  zip_path    = "${local.dist_dir}/functions/fetch_bars.zip"
  layer_arns  = local.base_layers
  environment = local.pipeline_env
  # A crashed fetch holds its idempotency in-progress lock until this deadline: the fetch states retry
  # Runtime.ExitError / Sandbox.Timedout after 65 s, so keep this below that.
  timeout     = 60
  memory_size = 256
  policy_statements = [
    {
      sid       = "RateLimiterAndIdempotency"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
      resources = [aws_dynamodb_table.control.arn]
    },
    {
      sid       = "RawObjects"
      actions   = ["s3:PutObject", "s3:GetObject"]
      resources = ["${module.data_bucket.arn}/raw/*"]
    },
    {
      sid       = "ProviderApiKey"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [aws_secretsmanager_secret.provider_api_key.arn]
    },
  ]
  common = local.fn_common
}

module "fn_pick_winner" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "pick_winner"
  zip_path    = "${local.dist_dir}/functions/pick_winner.zip"
  layer_arns  = local.base_layers
  timeout     = 10
  memory_size = 256
  common      = local.fn_common
}

module "fn_store_day" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "store_day"
  zip_path    = "${local.dist_dir}/functions/store_day.zip"
  layer_arns  = concat(local.base_layers, [aws_lambda_layer_version.layer["arrow"].arn])
  environment = local.pipeline_env
  timeout     = 30
  memory_size = 512
  policy_statements = [
    {
      sid       = "WriteDayItems"
      actions   = ["dynamodb:PutItem", "dynamodb:BatchWriteItem"]
      resources = [aws_dynamodb_table.main.arn]
    },
    {
      # DeleteObjectVersion: a failed commit removes the Parquet version its own attempt put (store_day).
      sid       = "WriteCuratedParquet"
      actions   = ["s3:PutObject", "s3:DeleteObjectVersion"]
      resources = ["${module.data_bucket.arn}/curated/daily_bars/*"]
    },
  ]
  common = local.fn_common
}

variable "api_key_cache_seconds" {
  type        = number
  description = "How long a warm function caches the provider API key; a rotated key takes effect within this time."
  default     = 300
  validation {
    condition     = var.api_key_cache_seconds >= 0
    error_message = "api_key_cache_seconds must be >= 0."
  }
}

variable "idempotency_ttl_seconds" {
  type        = number
  description = "How long a fetched bar is remembered per provider/ticker/date and execution, so retries and redrives of one execution spend no quota (a new run always fetches afresh)."
  default     = 3600
  validation {
    condition     = var.idempotency_ttl_seconds >= 60
    error_message = "idempotency_ttl_seconds must be at least 60."
  }
}

variable "rate_limit_allowance_seconds" {
  type        = number
  description = "Added to the rate-limit window: covers the gap between taking a slot and the call reaching the provider."
  default     = 0.5
  validation {
    condition     = var.rate_limit_allowance_seconds > 0
    error_message = "rate_limit_allowance_seconds must be positive."
  }
}

variable "rate_limit_max_wait_seconds" {
  type        = number
  description = "Longest a fetch waits in-function for a rate-limit slot; a longer wait is answered {status: Wait} and waited out in the state machine's Wait state."
  default     = 20
  validation {
    condition     = var.rate_limit_max_wait_seconds > 0 && var.rate_limit_max_wait_seconds < 50
    error_message = "rate_limit_max_wait_seconds must be within (0, 50) (the fetch function times out at 60 s)."
  }
}

variable "rate_limit_wait_budget_seconds" {
  type        = number
  description = "Longest one fetch waits for a rate-limit slot in all (in-function and in Wait states) before its run fails with RateLimited."
  default     = 1800
  validation {
    condition     = var.rate_limit_wait_budget_seconds >= 60 && var.rate_limit_wait_budget_seconds <= 86400
    error_message = "rate_limit_wait_budget_seconds must be within 60..86400."
  }
}
