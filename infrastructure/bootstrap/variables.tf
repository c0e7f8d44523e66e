# Every input of the bootstrap root is declared here and only here (outputs only in outputs.tf), as in the
# stack's root (../variables.tf): one section per concern, named after the file that reads them.

# -------------------- state bucket and provider (main.tf)

variable "region" {
  type        = string
  description = "AWS region of the state bucket."
  default     = "us-east-1"
}

variable "project" {
  type        = string
  description = "Project name: the first part of the stack's resource names (the main stack's var.project)."
  default     = "stock-movers"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must be lowercase letters, digits and dashes, 2-21 characters."
  }
}

variable "state_bucket_name" {
  type        = string
  description = "Globally unique name of the state bucket; empty: <project>-tfstate-<account id>."
  default     = ""
  validation {
    condition     = var.state_bucket_name == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be empty or a valid S3 bucket name."
  }
}

variable "environments" {
  type        = list(string)
  description = "Environments deployed to this account: each gets a backend file (state key) and a deploy role."
  default     = ["dev", "staging", "prod"]
  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : contains(["dev", "staging", "prod"], e)])
    error_message = "environments must be a non-empty list of dev, staging, prod."
  }
}

variable "local_endpoint" {
  type        = string
  description = "Tests only: the local AWS (http://127.0.0.1:<port>); empty for real AWS."
  default     = ""
  validation {
    condition     = var.local_endpoint == "" || can(regex("^http://(127\\.0\\.0\\.1|localhost):[0-9]+$", var.local_endpoint))
    error_message = "local_endpoint must be empty or http://127.0.0.1:<port>."
  }
}

# -------------------- GitHub Actions roles (github.tf)

variable "github_repository" {
  type        = string
  description = "owner/name of the GitHub repository whose workflows deploy; empty: no OIDC provider, no roles."
  default     = ""
  validation {
    condition     = var.github_repository == "" || can(regex("^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_oidc_provider_arn" {
  type        = string
  description = "ARN of an existing token.actions.githubusercontent.com provider (an account holds one); empty: create it."
  default     = ""
}
