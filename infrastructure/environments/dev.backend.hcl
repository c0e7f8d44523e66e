# Remote state of the dev stack: `terraform init -backend-config=environments/dev.backend.hcl` (see
# docs/operations.md#remote-state). The bucket comes from infrastructure/bootstrap; replace the name.
bucket       = "stock-movers-tfstate-CHANGE-ME"
key          = "stock-movers/dev/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true # S3 native locking (Terraform >= 1.10): no DynamoDB lock table
