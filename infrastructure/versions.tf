terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Remote state: see docs/operations.md. `terraform init -backend-config=environments/<env>.backend.hcl`
  # for dev/prod; the local environment and the tests keep state in a local file.
}
