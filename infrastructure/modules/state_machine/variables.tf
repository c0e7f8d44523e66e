variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name, e.g. stock-movers-dev."
}

variable "account_id" {
  type        = string
  description = "This account's id: the role trusts only this account's state machines (aws:SourceAccount)."
  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "name" {
  type        = string
  description = "Short state machine name, e.g. ingest."
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "name must be lowercase kebab-case, 2-41 characters."
  }
}

variable "definition_file" {
  type        = string
  description = "The ASL source, statemachines/<name>.asl.json: valid JSON whose placeholders (\"$${name}\") sit inside strings."
}

variable "definition_vars" {
  type        = map(string)
  description = "Placeholders inside strings (ARNs, names), rendered as text in place."
}

variable "definition_numbers" {
  type        = map(number)
  description = "Placeholders that stand for a number: each is a whole JSON string in the source (\"MaxConcurrency\": \"$${max_concurrency}\") and becomes a bare JSON number."
  validation {
    condition     = alltrue([for k in keys(var.definition_numbers) : can(regex("^[a-z][a-z0-9_]*$", k))])
    error_message = "definition_numbers keys must be lowercase identifiers."
  }
}

variable "policy_statements" {
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
  description = "Least-privilege IAM statements for what the machine's tasks call (exact ARNs)."
}

variable "log_level" {
  type        = string
  description = "Execution logging level: ALL, ERROR, FATAL or OFF."
  default     = "ERROR"
  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.log_level)
    error_message = "log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the execution log group."
}

variable "tracing_enabled" {
  type        = bool
  description = "X-Ray tracing of executions."
  default     = false
}
