variable "name" {
  type        = string
  description = "Schedule name, e.g. stock-movers-dev-daily."
}

variable "description" {
  type        = string
  description = "What the schedule starts, for the console."
}

variable "role_name" {
  type        = string
  description = "Name of the role the schedule invokes the function with (also its inline policy's name)."
}

variable "invoke_sid" {
  type        = string
  description = "Sid of the role's one statement (docs/iam-unused-grants.json names grants by Sid)."
  validation {
    condition     = can(regex("^[A-Za-z0-9]+$", var.invoke_sid))
    error_message = "invoke_sid must be alphanumeric."
  }
}

variable "function_arn" {
  type        = string
  description = "The function ARN the schedule invokes (its `live` alias): the only resource the role may invoke."
}

variable "account_id" {
  type        = string
  description = "This account's id: the role trusts only this account's schedules (aws:SourceAccount)."
  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "schedule_expression" {
  type        = string
  description = "cron(...), rate(...) or at(...), in timezone."
  validation {
    condition     = can(regex("^(cron|rate|at)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...), rate(...) or at(...)."
  }
}

variable "timezone" {
  type        = string
  description = "Time zone of schedule_expression."
  default     = "America/New_York"
}

variable "enabled" {
  type        = bool
  description = "Whether the schedule is ENABLED (false keeps it, DISABLED)."
  default     = true
}

variable "input" {
  type        = string
  description = "The JSON the function receives."
  default     = "{}"
}

variable "max_retry_attempts" {
  type        = number
  description = "Retries of a failed invocation."
  default     = 3
}

variable "max_event_age_seconds" {
  type        = number
  description = "How long Scheduler keeps retrying an invocation (60..86400 s)."
  default     = 86400
}
