# Remote state of the prod stack: `terraform init -backend-config=environments/prod.backend.hcl` (see
# docs/operations.md#remote-state). The bucket comes from infrastructure/bootstrap; replace the name.
bucket       = "stock-movers-tfstate-CHANGE-ME"
key          = "stock-movers/prod/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true # S3 native locking (Terraform >= 1.10): no DynamoDB lock table
