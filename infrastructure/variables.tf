# Every input of this root module is declared here and only here (outputs only in outputs.tf), as
# terraform-aws-modules keeps them; the same holds for infrastructure/bootstrap and for every module under
# modules/. General inputs first, then one section per concern, named after the file that reads them.
# tests/infrastructure/test_terraform.py fails on a variable or output block in any other file.

# -------------------- general

variable "project" {
  type        = string
  description = "Project name, the first part of every resource name."
  default     = "stock-movers"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be lowercase letters, digits and dashes, 2-21 characters."
  }
}

variable "environment" {
  type        = string
  description = "Environment name: dev, staging, prod or local."
  validation {
    condition     = contains(["dev", "staging", "prod", "local"], var.environment)
    error_message = "environment must be one of dev, staging, prod, local."
  }
}

variable "allowed_account_ids" {
  type        = list(string)
  description = "AWS account ids this environment may be deployed to: the provider refuses any other account at once (the local AWS is 123456789012)."
  validation {
    condition     = length(var.allowed_account_ids) > 0 && alltrue([for id in var.allowed_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "allowed_account_ids must list the 12-digit AWS account id(s) of this environment (environments/<env>.tfvars)."
  }
}

variable "region" {
  type        = string
  description = "AWS region."
  default     = "us-east-1"
}

variable "local_endpoint" {
  type        = string
  description = "When set (e.g. http://127.0.0.1:4566), every AWS endpoint points at the local AWS; empty for real AWS."
  default     = ""
  validation {
    condition     = var.local_endpoint == "" || can(regex("^http://(127\\.0\\.0\\.1|localhost):[0-9]+$", var.local_endpoint))
    error_message = "local_endpoint must be empty or http://127.0.0.1:<port>."
  }
}

variable "lambda_architecture" {
  type        = string
  description = "Lambda architecture; must match the layers built by `make build ARCH=...`."
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "dist_dir" {
  type        = string
  description = "Folder holding the zips built by `make build` (functions/*.zip, layers/*.zip)."
  default     = "../build/dist"
}

variable "watchlist" {
  type        = list(string)
  description = "Default tickers of a daily run (execution input may override): 1-500, stored as the S3 object config/watchlist.json."
  default     = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA"]
  validation {
    condition     = length(var.watchlist) > 0 && length(var.watchlist) <= 500 && length(distinct(var.watchlist)) == length(var.watchlist) && alltrue([for t in var.watchlist : can(regex("^[A-Z]{1,5}([.-][A-Z]{1,2})?$", t))])
    error_message = "watchlist must hold 1-500 distinct upper-case ticker symbols."
  }
}

variable "market_provider" {
  type        = string
  description = "Market-data provider: massive, alphavantage or tiingo."
  default     = "massive"
  validation {
    condition     = contains(["massive", "alphavantage", "tiingo"], var.market_provider)
    error_message = "market_provider must be massive, alphavantage or tiingo."
  }
}

variable "provider_daily_calls" {
  type        = number
  description = "Calls a day the provider plan allows (0: no daily quota); null: the provider's free plan (Alpha Vantage 25, Tiingo 1,000, Massive none). The scheduled calls of a day must fit: refused here, and by each run's input validation."
  default     = null
  validation {
    condition     = var.provider_daily_calls == null ? true : var.provider_daily_calls >= 0 && floor(var.provider_daily_calls) == var.provider_daily_calls
    error_message = "provider_daily_calls must be a whole number >= 0 (0: no daily quota), or null for the provider's free plan."
  }
  # A day's scheduled calls: the daily run (one per ticker, or one snapshot call) and the reconcile (one
  # range call per ticker), both when schedule_enabled, and the whole-market run's one grouped-daily call
  # when market_schedule_enabled. Beyond the quota the day would fail part-way.
  validation {
    condition = coalesce(var.provider_daily_calls, lookup(local.provider_free_daily_calls, var.market_provider, 0)) == 0 || (
      (var.fetch_strategy == "snapshot" ? 1 : var.fetch_strategy == "push" ? 0 : length(var.watchlist)) + (var.schedule_enabled ? length(var.watchlist) : 0) + (var.market_schedule_enabled ? 1 : 0)
    ) <= coalesce(var.provider_daily_calls, lookup(local.provider_free_daily_calls, var.market_provider, 0))
    error_message = "The watchlist needs more provider calls a day than market_provider's plan allows (provider_daily_calls, or the free plan's: Alpha Vantage 25, Tiingo 1,000): each scheduled day spends one call per ticker in the daily run (one in all with snapshot; only the unpushed ones with push), one per ticker in the reconcile, and one for the whole-market run with market_schedule_enabled. Name fewer tickers, or set provider_daily_calls for a paid plan."
  }
}

variable "failover_providers" {
  type = list(object({
    provider                  = string
    base_url                  = optional(string, "")
    rate_limit_calls          = optional(number)
    rate_limit_period_seconds = optional(number)
  }))
  description = "Providers the daily run fails over to, in order, when a fetch still fails with ProviderUnavailable or PlanLimitError after its retries (massive, alphavantage or tiingo; the same provider again with another key works too). Each gets its own Secrets Manager secret (outputs.failover_api_key_secret_arns, value set out of band) and its own rate-limit window (rate_limit_calls / rate_limit_period_seconds: its plan; unset means the primary's). Failover providers fetch per ticker. Empty (the default): no failover."
  default     = []
  validation {
    condition     = length(var.failover_providers) <= 3
    error_message = "failover_providers holds at most 3 providers."
  }
  validation {
    condition     = alltrue([for p in var.failover_providers : contains(["massive", "alphavantage", "tiingo"], p.provider)])
    error_message = "failover_providers: each provider must be massive, alphavantage or tiingo."
  }
  # A failover provider fetches ticker by ticker: one that cannot is refused at plan time (the capability
  # table of orchestration.tf, as fetch_strategy's check).
  validation {
    condition     = alltrue([for p in var.failover_providers : contains(lookup(local.provider_fetch_strategies, p.provider, []), "per_ticker")])
    error_message = "failover_providers: a failover provider must serve per_ticker fetches."
  }
  validation {
    condition = alltrue([for p in var.failover_providers :
      (p.rate_limit_calls == null || try(p.rate_limit_calls >= 1 && floor(p.rate_limit_calls) == p.rate_limit_calls, false)) &&
    (p.rate_limit_period_seconds == null || try(p.rate_limit_period_seconds > 0, false))])
    error_message = "failover_providers: rate_limit_calls must be a whole number >= 1 and rate_limit_period_seconds > 0."
  }
}

variable "provider_base_url" {
  type        = string
  description = "Provider base URL; empty for the provider's public URL. Any Massive-compatible server works for massive."
  default     = ""
}

variable "rate_limit_calls" {
  type        = number
  description = "Provider calls allowed per rate-limit period (Massive free tier: 5 per 60 s)."
  default     = 5
  validation {
    condition     = var.rate_limit_calls >= 1
    error_message = "rate_limit_calls must be at least 1."
  }
}

variable "rate_limit_period_seconds" {
  type        = number
  description = "Length of the provider's rate-limit period in seconds."
  default     = 60
  validation {
    condition     = var.rate_limit_period_seconds > 0
    error_message = "rate_limit_period_seconds must be positive."
  }
}

variable "map_max_concurrency" {
  type        = number
  description = "MaxConcurrency of the per-ticker fetch Map."
  default     = 6
  validation {
    condition     = var.map_max_concurrency >= 1 && var.map_max_concurrency <= 40
    error_message = "map_max_concurrency must be 1..40."
  }
}

variable "log_retention_days" {
  type        = number
  description = "CloudWatch Logs retention for every log group."
  default     = 30
}

variable "log_level" {
  type        = string
  description = "Powertools log level of the functions."
  default     = "INFO"
  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "tracing_enabled" {
  type        = bool
  description = "X-Ray tracing for the state machines and functions."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource."
  default     = {}
}

# -------------------- daily schedules (schedule.tf)

variable "schedule_enabled" {
  type        = bool
  description = "Whether the daily schedule (and the whole-market one, market_schedule_enabled) is ENABLED (false keeps it, DISABLED)."
  default     = true
}

variable "schedule_expression" {
  type        = string
  description = "Scheduler expression in schedule_timezone; default 18:30 Monday-Friday (EOD data settles by ~17:30 ET)."
  default     = "cron(30 18 ? * MON-FRI *)"
  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...), rate(...) or at(...)."
  }
}

variable "schedule_timezone" {
  type        = string
  description = "Time zone of schedule_expression."
  default     = "America/New_York"
}

variable "market_schedule_enabled" {
  type        = bool
  description = "Whether each trading day also runs the whole market (execution input scope market): a second schedule at schedule_expression in schedule_timezone invokes start_daily with {\"source\": \"schedule\", \"scope\": \"market\"}, which starts daily-market-<date> (one grouped-daily call). Like the daily schedule it is ENABLED only while schedule_enabled. Needs a market_provider with a grouped-daily endpoint (massive)."
  default     = false
  # A whole-market run takes the provider's one-call session snapshot (the capability table of
  # orchestration.tf, equal to the adapters' require_scope): without it every scheduled run would fail
  # with UnsupportedScope, so the pair is refused here.
  validation {
    condition     = !var.market_schedule_enabled || contains(lookup(local.provider_fetch_strategies, var.market_provider, []), "snapshot")
    error_message = "market_schedule_enabled needs a market_provider with a grouped-daily (whole-market) endpoint, which only massive has (alphavantage and tiingo serve per_ticker): set market_provider = \"massive\" or market_schedule_enabled = false."
  }
}

# -------------------- ingest state machine (orchestration.tf)

variable "fetch_strategy" {
  type        = string
  description = "per_ticker: one provider call per ticker; snapshot: one grouped-daily call per session (Massive only), reduced in one step; push: the bars published on the market-data bus (docs/push-feed.md), one provider call per ticker without one."
  default     = "per_ticker"
  validation {
    condition     = contains(["per_ticker", "snapshot", "push"], var.fetch_strategy)
    error_message = "fetch_strategy must be per_ticker, snapshot or push."
  }
  # A pair the provider cannot serve is refused at plan time, not by every daily run after it spent quota.
  validation {
    condition     = contains(lookup(local.provider_fetch_strategies, var.market_provider, []), var.fetch_strategy)
    error_message = "fetch_strategy is not served by market_provider: snapshot needs a whole-market daily endpoint, which only massive has (alphavantage and tiingo serve per_ticker)."
  }
}

# Distributed Map for large per-ticker lists (docs/pipeline.md "Fan-out", docs/cost.md): above the threshold
# the fetches run as child executions of batches, read from and written to S3.
variable "distributed_map_threshold" {
  type        = number
  description = "Largest number of per-ticker fetches a run does in its inline Map; more go to the Distributed Map."
  default     = 40
  validation {
    condition     = var.distributed_map_threshold >= 1 && var.distributed_map_threshold <= 500
    error_message = "distributed_map_threshold must be 1..500 (the inline Map's history stays far under 25,000 events)."
  }
}

variable "max_tickers" {
  type        = number
  description = "Most tickers one ingest execution's input may name (the watchlist itself holds at most 500); above distributed_map_threshold they are fetched by the Distributed Map."
  default     = 500
  validation {
    condition     = var.max_tickers >= 1 && var.max_tickers <= 5000
    error_message = "max_tickers must be 1..5000."
  }
}

variable "distributed_batch_size" {
  type        = number
  description = "Tickers per child execution of the Distributed Map (ItemBatcher MaxItemsPerBatch)."
  default     = 10
  validation {
    condition     = var.distributed_batch_size >= 1 && var.distributed_batch_size <= 100
    error_message = "distributed_batch_size must be 1..100."
  }
}

variable "distributed_max_concurrency" {
  type        = number
  description = "Child executions of the Distributed Map running at once (each runs map_max_concurrency fetches at once)."
  default     = 1
  validation {
    condition     = var.distributed_max_concurrency >= 1 && var.distributed_max_concurrency <= 1000
    error_message = "distributed_max_concurrency must be 1..1000."
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

# -------------------- pipeline functions (functions.tf)

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

variable "board_size" {
  type        = number
  description = "How many top gainers and top losers each stored day keeps on its board (the leaders route serves up to this many)."
  default     = 10
  validation {
    condition     = var.board_size == floor(var.board_size) && var.board_size >= 1 && var.board_size <= 50
    error_message = "board_size must be a whole number 1..50 (the leaders route's n is at most 50)."
  }
}

variable "market_min_price" {
  type        = number
  description = "Whole-market scope (ingest input scope=market): a ticker takes part in the day only if its close is at least this many USD (so penny stocks do not win every day); 0 keeps every price."
  default     = 5
  validation {
    condition     = var.market_min_price >= 0 && var.market_min_price <= 100000
    error_message = "market_min_price must be within 0..100000 USD."
  }
}

variable "market_min_volume" {
  type        = number
  description = "Whole-market scope: a ticker takes part in the day only if it traded at least this many shares in the session (thinly traded names are left out); 0 keeps every volume."
  default     = 100000
  validation {
    condition     = var.market_min_volume == floor(var.market_min_volume) && var.market_min_volume >= 0 && var.market_min_volume <= 1000000000000
    error_message = "market_min_volume must be a whole number of shares within 0..10^12."
  }
}

# -------------------- backfill and gap healing (backfill.tf)

variable "backfill_max_span_days" {
  type        = number
  description = "Longest backfill span in calendar days (inclusive); longer spans fail with InvalidInput."
  default     = 1832 # five years (with leap days) + 2
  validation {
    condition     = var.backfill_max_span_days >= 1 && var.backfill_max_span_days <= 1832
    error_message = "backfill_max_span_days must be 1..1832 (the state machine is sized for five years)."
  }
}

variable "backfill_batch_size" {
  type        = number
  description = "Sessions one store_sessions invocation stores (a Map iteration per batch keeps history small)."
  default     = 40
  validation {
    condition     = var.backfill_batch_size >= 1 && var.backfill_batch_size <= 100
    error_message = "backfill_batch_size must be 1..100 (100 store_day calls must fit the function timeout)."
  }
}

variable "backfill_store_concurrency" {
  type        = number
  description = "Batches stored at once (Map MaxConcurrency); each batch also stores up to 4 sessions at once."
  default     = 2
  validation {
    condition     = var.backfill_store_concurrency >= 1 && var.backfill_store_concurrency <= 10
    error_message = "backfill_store_concurrency must be 1..10."
  }
}

variable "gap_heal_sessions" {
  type        = number
  description = "A daily run heals missing sessions among the last N sessions before it (0 switches healing off)."
  default     = 10
  validation {
    condition     = var.gap_heal_sessions >= 0 && var.gap_heal_sessions <= 60
    error_message = "gap_heal_sessions must be 0..60."
  }
}

# -------------------- daily analysis (analysis.tf)

variable "analysis_unusual_threshold" {
  type        = number
  description = "A day's move is flagged unusual when |z-score| against the ticker's previous 20 sessions exceeds this."
  default     = 2.0
  validation {
    condition     = var.analysis_unusual_threshold > 0 && var.analysis_unusual_threshold <= 10
    error_message = "analysis_unusual_threshold must be within (0, 10]."
  }
}

variable "analysis_batch_size" {
  type        = number
  description = "Tickers per Analyse Tickers iteration of the daily analysis (one Lambda invocation and one S3 work object each): 500 tickers at 50 are 10 iterations."
  default     = 50
  validation {
    condition     = var.analysis_batch_size >= 1 && var.analysis_batch_size <= 100 && floor(var.analysis_batch_size) == var.analysis_batch_size
    error_message = "analysis_batch_size must be a whole number 1..100."
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

variable "analysis_catchup_expression" {
  type        = string
  description = "Scheduler expression (in schedule_timezone) of the analysis catch-up; default 21:30 Monday-Friday, after the daily run's 18:30."
  default     = "cron(30 21 ? * MON-FRI *)"
  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.analysis_catchup_expression))
    error_message = "analysis_catchup_expression must be cron(...), rate(...) or at(...)."
  }
}

variable "analysis_catchup_sessions" {
  type        = number
  description = "How many recent sessions the analysis catch-up looks at for days without an analysis or with a pending announcement."
  default     = 10
  validation {
    condition     = var.analysis_catchup_sessions >= 1 && var.analysis_catchup_sessions <= 60 && floor(var.analysis_catchup_sessions) == var.analysis_catchup_sessions
    error_message = "analysis_catchup_sessions must be a whole number from 1 to 60."
  }
}

# -------------------- read API (api.tf)

variable "api_throttle_burst" {
  type        = number
  description = "Stage-wide API Gateway throttling burst limit (requests)."
  default     = 20
  validation {
    condition     = var.api_throttle_burst >= 1 && var.api_throttle_burst <= 5000 && floor(var.api_throttle_burst) == var.api_throttle_burst
    error_message = "api_throttle_burst must be a whole number between 1 and 5000."
  }
}

variable "api_throttle_rate" {
  type        = number
  description = "Stage-wide API Gateway steady-state throttling rate (requests per second)."
  default     = 10
  validation {
    condition     = var.api_throttle_rate > 0 && var.api_throttle_rate <= 10000
    error_message = "api_throttle_rate must be > 0 and <= 10000."
  }
}

variable "api_cors_allow_origin" {
  type        = string
  description = "Access-Control-Allow-Origin of the API (\"*\" or one origin such as https://d123.cloudfront.net)."
  default     = "*"
  validation {
    condition     = var.api_cors_allow_origin == "*" || can(regex("^https?://[^/*]+$", var.api_cors_allow_origin))
    error_message = "api_cors_allow_origin must be \"*\" or an origin like https://example.org (no path)."
  }
}

variable "api_manage_cloudwatch_role" {
  type        = bool
  description = "Set API Gateway's account-wide CloudWatch Logs role (needed once per account and region for access logs). Turn off if the account already has one."
  default     = true
}

# -------------------- page (frontend.tf)

variable "frontend_hosting" {
  type        = string
  description = "How to host frontend/: \"cloudfront\" (private bucket behind CloudFront with OAC, HTTPS), \"s3-website\" (public S3 website endpoint, HTTP) or \"none\"."
  default     = "cloudfront"
  validation {
    condition     = contains(["cloudfront", "s3-website", "none"], var.frontend_hosting)
    error_message = "frontend_hosting must be one of: cloudfront, s3-website, none."
  }
}

variable "frontend_data_note" {
  type        = string
  description = "Footer note the page shows (config.js dataNote), e.g. to label demo data; empty (the default) for the data-licence note of market_provider (display only, no redistribution)."
  default     = ""
  validation {
    condition     = length(var.frontend_data_note) <= 300
    error_message = "frontend_data_note must be at most 300 characters."
  }
}

variable "frontend_price_class" {
  type        = string
  description = "CloudFront price class of the page's distribution."
  default     = "PriceClass_100"
  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.frontend_price_class)
    error_message = "frontend_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

# -------------------- observability (alarms.tf, dashboard.tf, staleness.tf)

variable "alert_email" {
  type        = string
  description = "E-mail address subscribed to the alert topic (empty: no subscription; subscribe out of band)."
  default     = ""
  validation {
    condition     = var.alert_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be empty or an e-mail address."
  }
}

variable "alarm_notifications_enabled" {
  type        = bool
  description = "Whether alarms publish to the alert topic (false: alarms still change state, nobody is notified)."
  default     = true
}

variable "staleness_check_hour_et" {
  type        = number
  description = "Hour (America/New_York, Mon-Fri) by which the latest completed session's winner must be stored."
  default     = 19
  validation {
    condition     = var.staleness_check_hour_et >= 0 && var.staleness_check_hour_et <= 23 && floor(var.staleness_check_hour_et) == var.staleness_check_hour_et
    error_message = "staleness_check_hour_et must be a whole hour 0-23."
  }
}

variable "api_latency_alarm_ms" {
  type        = number
  description = "p99 API latency (ms) above which the API latency alarm fires."
  default     = 3000
  validation {
    condition     = var.api_latency_alarm_ms > 0
    error_message = "api_latency_alarm_ms must be positive."
  }
}

variable "detailed_alarms" {
  type        = bool
  description = "Per-function error/throttle and per-table DynamoDB throttle alarms besides the aggregate ones (34 more alarm metrics, beyond CloudWatch's free tier)."
  default     = false
}

# -------------------- SQL over the curated zone (query.tf)

variable "curated_first_year" {
  type        = number
  description = "First year the curated zone holds: partition projection covers this year to now. Days stored before it (a backfill further back) are invisible to Athena until this is lowered; a lower year makes a query that filters neither year nor day enumerate more empty partitions."
  default     = 2020
  validation {
    condition     = floor(var.curated_first_year) == var.curated_first_year && var.curated_first_year >= 1970 && var.curated_first_year <= 2100
    error_message = "curated_first_year must be a whole year between 1970 and 2100."
  }
}

variable "query_bytes_scanned_cutoff" {
  type        = number
  description = "Athena cancels a query of the workgroup once it has scanned this many bytes (at least 10 MB, Athena's minimum). The default, 1 GiB, is several years of a whole-market curated zone."
  default     = 1073741824
  validation {
    condition     = floor(var.query_bytes_scanned_cutoff) == var.query_bytes_scanned_cutoff && var.query_bytes_scanned_cutoff >= 10485760
    error_message = "query_bytes_scanned_cutoff must be a whole number of bytes, at least 10485760 (10 MB)."
  }
}

variable "query_results_days" {
  type        = number
  description = "Days Athena query results are kept in the results bucket before they expire."
  default     = 7
  validation {
    condition     = floor(var.query_results_days) == var.query_results_days && var.query_results_days >= 1 && var.query_results_days <= 365
    error_message = "query_results_days must be a whole number of days from 1 to 365."
  }
}

variable "reconcile_hour_et" {
  type        = number
  description = "Hour (America/New_York, Mon-Fri) at which the next-day reconcile re-reads the newest stored sessions (after the close and the daily run)."
  default     = 20
  validation {
    condition     = var.reconcile_hour_et >= 0 && var.reconcile_hour_et <= 23 && floor(var.reconcile_hour_et) == var.reconcile_hour_et
    error_message = "reconcile_hour_et must be a whole hour 0-23."
  }
}

variable "reconcile_sessions" {
  type        = number
  description = "How many of the newest stored sessions the reconcile re-reads (one range call per ticker covers them all)."
  default     = 3
  validation {
    condition     = var.reconcile_sessions >= 1 && var.reconcile_sessions <= 10 && floor(var.reconcile_sessions) == var.reconcile_sessions
    error_message = "reconcile_sessions must be a whole number 1-10."
  }
}
