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
  description = "Name of the role the schedule reaches its target with (also its inline policy's name)."
}

variable "invoke_sid" {
  type        = string
  description = "Sid of the role's one statement (docs/iam-unused-grants.json names grants by Sid)."
  validation {
    condition     = can(regex("^[A-Za-z0-9]+$", var.invoke_sid))
    error_message = "invoke_sid must be alphanumeric."
  }
}

variable "target_arn" {
  type        = string
  description = "The target the schedule reaches (a function's or a state machine's `live` alias): the only resource the role may call."
}

variable "target_action" {
  type        = string
  description = "What the role may do to target_arn: lambda:InvokeFunction (a function) or states:StartExecution (a state machine, Scheduler's Step Functions target)."
  default     = "lambda:InvokeFunction"
  validation {
    condition     = contains(["lambda:InvokeFunction", "states:StartExecution"], var.target_action)
    error_message = "target_action must be lambda:InvokeFunction or states:StartExecution."
  }
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
  description = "The JSON the target receives."
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
