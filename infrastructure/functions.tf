# The ingest pipeline's functions. Each gets only the permissions it uses, on exact ARNs.

# Each function's `environment` holds exactly the variables its settings read (stock_movers.settings,
# functions.FUNCTION_SETTINGS), no more: tests/unit/test_settings_terraform.py compares them.
locals {
  env_main_table = { TABLE_NAME = aws_dynamodb_table.main.name }
  env_bucket     = { BUCKET_NAME = module.data_bucket.bucket }
  # The watchlist is an S3 object (storage.tf), not a variable: Lambda's 4 KB environment held ~700 tickers.
  # Its version is given too: a changed watchlist changes the function configuration, and every container
  # reads exactly the version Terraform wrote (adapters/watchlist.py).
  env_watchlist = {
    BUCKET_NAME       = module.data_bucket.bucket
    WATCHLIST_KEY     = aws_s3_object.watchlist.key
    WATCHLIST_VERSION = aws_s3_object.watchlist.version_id
  }
  # The watchlist readers' one grant: that object, at the version named above (a GetObject with a versionId
  # needs s3:GetObjectVersion, and only that).
  watchlist_read = {
    sid       = "ReadWatchlist"
    actions   = ["s3:GetObjectVersion"]
    resources = ["${module.data_bucket.arn}/${aws_s3_object.watchlist.key}"]
  }
  # PROVIDER_DAILY_CALLS empty unless the deployment says (a paid plan): then the adapter's free-plan figure.
  env_provider = {
    MARKET_PROVIDER      = var.market_provider
    PROVIDER_DAILY_CALLS = var.provider_daily_calls == null ? "" : tostring(var.provider_daily_calls)
  }
  # fetch_bars and fetch_range (settings.FetchSettings): the only functions given the API key's secret.
  env_fetch = merge(local.env_bucket, local.env_provider, {
    CONTROL_TABLE_NAME             = aws_dynamodb_table.control.name
    PROVIDER_BASE_URL              = var.provider_base_url
    API_KEY_SECRET_ARN             = aws_secretsmanager_secret.provider_api_key.arn
    API_KEY_CACHE_SECONDS          = tostring(var.api_key_cache_seconds)
    RATE_LIMIT_CALLS               = tostring(var.rate_limit_calls)
    RATE_LIMIT_PERIOD_SECONDS      = tostring(var.rate_limit_period_seconds)
    RATE_LIMIT_ALLOWANCE_SECONDS   = tostring(var.rate_limit_allowance_seconds)
    RATE_LIMIT_MAX_WAIT_SECONDS    = tostring(var.rate_limit_max_wait_seconds)
    RATE_LIMIT_WAIT_BUDGET_SECONDS = tostring(var.rate_limit_wait_budget_seconds)
    IDEMPOTENCY_TTL_SECONDS        = tostring(var.idempotency_ttl_seconds)
  })
  # fetch_bars' failover providers (settings.Failover): names, URLs, their own secrets' ARNs and plans.
  env_failover = {
    FAILOVER_PROVIDERS = jsonencode([for i, p in var.failover_providers : {
      provider               = p.provider
      baseUrl                = p.base_url
      apiKeySecretArn        = aws_secretsmanager_secret.failover_api_key[i].arn
      rateLimitCalls         = coalesce(p.rate_limit_calls, var.rate_limit_calls)
      rateLimitPeriodSeconds = coalesce(p.rate_limit_period_seconds, var.rate_limit_period_seconds)
    }])
  }
  # Validate Input lists the run's providers (names only, no secret ARNs).
  env_failover_names = { FAILOVER_PROVIDER_NAMES = join(",", [for p in var.failover_providers : p.provider]) }
  # Only fetch_bars reads the failover keys: a statement only when there are any.
  failover_key_read = [for arns in [aws_secretsmanager_secret.failover_api_key[*].arn] : {
    sid       = "FailoverApiKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = arns
  } if length(arns) > 0]
  base_layers = [aws_lambda_layer_version.layer["shared"].arn, aws_lambda_layer_version.layer["deps"].arn]
}

module "fn_validate_input" {
  source            = "./modules/function"
  name_prefix       = local.name_prefix
  name              = "validate_input"
  zip_path          = "${local.dist_dir}/functions/validate_input.zip"
  layer_arns        = local.base_layers
  environment       = merge(local.env_watchlist, local.env_provider, local.env_failover_names, { FETCH_STRATEGY = var.fetch_strategy, MAX_TICKERS = var.max_tickers })
  timeout           = 10
  memory_size       = 256
  policy_statements = [local.watchlist_read]
  common            = local.fn_common
}

module "fn_fetch_bars" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "fetch_bars"
  zip_path    = "${local.dist_dir}/functions/fetch_bars.zip"
  layer_arns  = local.base_layers
  environment = merge(local.env_fetch, local.env_failover)
  # A crashed fetch holds its idempotency in-progress lock until this deadline: the fetch states retry
  # Runtime.ExitError / Sandbox.Timedout after 65 s, so keep this below that.
  timeout     = 60
  memory_size = 256
  policy_statements = concat([
    {
      sid       = "RateLimiterAndIdempotency"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
      resources = [aws_dynamodb_table.control.arn]
    },
    {
      sid       = "RawObjects"
      actions   = ["s3:PutObject"]
      resources = ["${module.data_bucket.arn}/raw/*"]
    },
    {
      # Each fetched bar, for Pick Winner (the state machine carries keys, not bars).
      sid       = "IngestWorkObjects"
      actions   = ["s3:PutObject"]
      resources = ["${module.data_bucket.arn}/work/ingest/*"]
    },
    {
      sid       = "ProviderApiKey"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [aws_secretsmanager_secret.provider_api_key.arn]
    },
  ], local.failover_key_read)
  common = local.fn_common
}

module "fn_pick_winner" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "pick_winner"
  zip_path    = "${local.dist_dir}/functions/pick_winner.zip"
  layer_arns  = local.base_layers
  environment = merge(local.env_bucket, {
    MARKET_MIN_PRICE  = tostring(var.market_min_price)
    MARKET_MIN_VOLUME = tostring(var.market_min_volume)
  })
  # Reads one object per ticker the snapshot lacks (500 at most, 16 at a time), or, for a whole-market day,
  # the market snapshot's one object (~10,000 rows, ~1.5 MB: a few seconds and ~150 MB at 256 MB).
  timeout     = 30
  memory_size = 256
  policy_statements = [
    {
      # The session snapshot's work object (fetch_bars writes it beside the raw body).
      sid       = "ReadSnapshotWorkObject"
      actions   = ["s3:GetObject"]
      resources = ["${module.data_bucket.arn}/raw/*/_snapshot-*"]
    },
    {
      # The fetched bars in, the validated day out (for Store Day).
      sid       = "IngestWorkObjects"
      actions   = ["s3:GetObject", "s3:PutObject"]
      resources = ["${module.data_bucket.arn}/work/ingest/*"]
    },
  ]
  common = local.fn_common
}

module "fn_store_day" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "store_day"
  zip_path    = "${local.dist_dir}/functions/store_day.zip"
  layer_arns  = concat(local.base_layers, [aws_lambda_layer_version.layer["arrow"].arn])
  environment = merge(local.env_main_table, local.env_bucket, { BOARD_SIZE = tostring(var.board_size) })
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
      # daily_bars: the watchlist's days; market_bars: a whole-market day's filtered universe.
      sid       = "WriteCuratedParquet"
      actions   = ["s3:PutObject", "s3:DeleteObjectVersion"]
      resources = ["${module.data_bucket.arn}/curated/daily_bars/*", "${module.data_bucket.arn}/curated/market_bars/*"]
    },
    {
      # The validated day it stores (dayKey): left by the daily run's Pick Winner, a backfill's Reduce Batch or
      # a reconcile's plan step.
      sid     = "ReadValidatedDay"
      actions = ["s3:GetObject"]
      resources = [
        "${module.data_bucket.arn}/work/ingest/*",
        "${module.data_bucket.arn}/work/backfill/days/*",
        "${module.data_bucket.arn}/work/reconcile/days/*",
      ]
    },
  ]
  common = local.fn_common
}
