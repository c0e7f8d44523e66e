# Each environment's backend file, as an output: `make bootstrap` writes them to
# infrastructure/environments/<env>.backend.hcl (movers/backends.py), so nobody types a bucket name. One state
# object per environment under one bucket; the lock file sits next to it (<key>.tflock).

locals {
  state_keys = { for env in var.environments : env => "${var.project}/${env}/terraform.tfstate" }
}

output "account_id" {
  description = "The account bootstrapped: put it in environments/<env>.tfvars as allowed_account_ids."
  value       = local.account_id
}

output "state_bucket" {
  description = "The state bucket."
  value       = module.state_bucket.bucket
}

output "backend_files" {
  description = "environment => the text of environments/<env>.backend.hcl (written by `make bootstrap`)."
  value = {
    for env, key in local.state_keys : env => join("\n", [
      "# Remote state of the ${env} stack. Written by `make bootstrap` from infrastructure/bootstrap's outputs: do",
      "# not edit; `make plan|deploy|destroy ENV=${env}` initialises with it (docs/operations.md#first-deploy).",
      "bucket       = \"${module.state_bucket.bucket}\"",
      "key          = \"${key}\"",
      "region       = \"${var.region}\"",
      "encrypt      = true",
      "use_lockfile = true # S3 native locking (Terraform >= 1.10): no DynamoDB lock table",
      "",
    ])
  }
}
