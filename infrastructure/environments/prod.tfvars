# prod: the daily run on its schedule, alarms notify the alert topic. Every variable:
# ../terraform.tfvars.example.
environment         = "prod"
allowed_account_ids = [] # the 12-digit id of the AWS account prod deploys to (`make bootstrap` prints it)
lambda_architecture = "arm64"
log_retention_days  = 90
tracing_enabled     = true

schedule_enabled            = true
alarm_notifications_enabled = true
# alert_email               = "ops@example.org"
