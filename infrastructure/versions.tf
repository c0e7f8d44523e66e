terraform {
  # >= 1.10: the S3 backend's native lock file (use_lockfile), so no DynamoDB lock table.
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
  # Remote state, one object per environment: `make plan|deploy|destroy ENV=<env>` runs
  # `terraform init -reconfigure -backend-config=environments/<env>.backend.hcl` (files written by
  # `make bootstrap` from infrastructure/bootstrap's outputs). The local stack points the same backend at
  # the local AWS's S3 (movers/local/stack.py). See docs/operations.md#remote-state.
  backend "s3" {}
}
