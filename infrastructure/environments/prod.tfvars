environment         = "prod"
lambda_architecture = "arm64"
log_retention_days  = 90
tracing_enabled     = true
