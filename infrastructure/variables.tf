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
  description = "Default tickers of a daily run (execution input may override)."
  default     = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA"]
  validation {
    condition     = length(var.watchlist) > 0 && length(var.watchlist) <= 20 && alltrue([for t in var.watchlist : can(regex("^[A-Z]{1,5}([.-][A-Z]{1,2})?$", t))])
    error_message = "watchlist must hold 1-20 upper-case ticker symbols."
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
