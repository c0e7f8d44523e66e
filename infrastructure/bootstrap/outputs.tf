# Every output of the bootstrap root is declared here and only here (inputs only in variables.tf).

# -------------------- GitHub Actions roles (github.tf)

output "github_roles" {
  description = "environment => {plan, deploy} role ARNs for .github/workflows/deploy.yml (empty without github_repository)."
  value = {
    for env in local.github_envs : env => {
      plan   = aws_iam_role.github["${env}-plan"].arn
      deploy = aws_iam_role.github["${env}-deploy"].arn
    }
  }
}

# -------------------- backend files (backends.tf)

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
