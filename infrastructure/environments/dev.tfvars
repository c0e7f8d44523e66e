environment         = "dev"
lambda_architecture = "arm64"
log_retention_days  = 14
