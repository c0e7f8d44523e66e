variable "name" {
  type        = string
  description = "Globally unique bucket name."
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be a valid S3 bucket name."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Whether destroying the bucket deletes its objects (disposable stacks and rebuilt content only)."
  default     = false
}

variable "prevent_destroy" {
  type        = bool
  description = "Whether Terraform refuses to destroy the bucket at all (lifecycle prevent_destroy), e.g. Terraform state."
  default     = false
  validation {
    condition     = !(var.prevent_destroy && var.force_destroy)
    error_message = "prevent_destroy and force_destroy exclude each other."
  }
}

variable "policy_json" {
  type        = string
  description = "The caller's own bucket policy statements (a policy document's JSON), merged before the TLS-only statement; empty for none."
  default     = ""
}

variable "public_website" {
  type        = bool
  description = "The one exception to private and TLS only: an S3 website endpoint page (HTTP only) whose policy_json grants public read. Blocks stay on for ACLs."
  default     = false
  validation {
    condition     = !var.public_website || var.policy_json != ""
    error_message = "public_website needs policy_json (the public-read statement)."
  }
}
