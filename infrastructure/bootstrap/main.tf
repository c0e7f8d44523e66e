# One-time bootstrap of an AWS account (its own root, local state; `make bootstrap`): an S3 bucket for the
# stack's Terraform state, versioned (every state revision recoverable), encrypted, public access blocked,
# TLS only; each environment's backend file as an output (backends.tf); GitHub Actions' OIDC provider and the
# plan and deploy roles (github.tf). Locking uses S3 native lock files (`use_lockfile = true`, Terraform
# >= 1.10), so no DynamoDB lock table is needed. See docs/operations.md#first-deploy.

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

locals {
  is_local     = var.local_endpoint != ""
  account_id   = data.aws_caller_identity.current.account_id
  partition    = data.aws_partition.current.partition
  state_bucket = var.state_bucket_name != "" ? var.state_bucket_name : "${var.project}-tfstate-${local.account_id}"
}

# Same two modes as the main stack's provider: real AWS by the default credential chain, or the local AWS.
provider "aws" {
  region = var.region

  access_key                  = local.is_local ? "test" : null
  secret_key                  = local.is_local ? "test" : null
  skip_credentials_validation = local.is_local
  skip_metadata_api_check     = local.is_local
  skip_region_validation      = local.is_local
  s3_use_path_style           = local.is_local
  max_retries                 = local.is_local ? 1 : null

  dynamic "endpoints" {
    for_each = local.is_local ? [1] : []
    content {
      iam = var.local_endpoint
      s3  = var.local_endpoint
      sts = var.local_endpoint
    }
  }

  default_tags {
    tags = { Project = var.project, ManagedBy = "terraform", Purpose = "bootstrap" }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

# Versioned (every state revision recoverable), encrypted, private, TLS only; never destroyed by Terraform.
module "state_bucket" {
  source          = "../modules/private_bucket"
  name            = local.state_bucket
  prevent_destroy = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = module.state_bucket.id
  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"
    filter {
      prefix = ""
    }
    noncurrent_version_expiration {
      noncurrent_days = 365
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

# The state bucket was five resources here until the private_bucket module: an applied bootstrap's move.
moved {
  from = aws_s3_bucket.state
  to   = module.state_bucket.aws_s3_bucket.protected[0]
}

moved {
  from = aws_s3_bucket_versioning.state
  to   = module.state_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.state
  to   = module.state_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_public_access_block.state
  to   = module.state_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_policy.state
  to   = module.state_bucket.aws_s3_bucket_policy.this
}
