variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. stock-movers-dev."
}

variable "name" {
  type        = string
  description = "Short function name (the folder under functions/), e.g. fetch_bars."
  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{1,40}$", var.name))
    error_message = "name must be snake_case, 2-41 characters."
  }
}

variable "zip_path" {
  type        = string
  description = "Path of the function's reproducible zip built by `make build`."
}

variable "handler" {
  type        = string
  description = "Handler in module.function form."
  default     = "app.handler"
}

variable "layer_arns" {
  type        = list(string)
  description = "Layer version ARNs, in order (later layers win on file conflicts)."
  default     = []
}

variable "environment" {
  type        = map(string)
  description = "Function environment variables (never secrets: the API key is read from Secrets Manager at run time)."
  default     = {}
}

variable "timeout" {
  type        = number
  description = "Timeout in seconds."
  default     = 30
  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be 1..900 seconds."
  }
}

variable "memory_size" {
  type        = number
  description = "Memory in MB."
  default     = 256
  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be 128..10240 MB."
  }
}

variable "policy_statements" {
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
  description = "Least-privilege IAM statements for this function (exact ARNs)."
  default     = []
}

variable "common" {
  type = object({
    runtime            = string
    architecture       = string
    log_retention_days = number
    tracing_enabled    = bool
    log_level          = string
    tags               = map(string)
    artifact_bucket    = string
  })
  description = "Settings shared by every function of the stack (artifact_bucket: where the zips are uploaded)."
}
