# staging: prod's settings on a smaller budget, to rehearse a release before prod. Every variable:
# ../terraform.tfvars.example.
environment         = "staging"
allowed_account_ids = [] # the 12-digit id of the AWS account staging deploys to (`make bootstrap` prints it)
lambda_architecture = "arm64"
log_retention_days  = 30

schedule_enabled            = true
alarm_notifications_enabled = true
# alert_email               = "ops@example.org"
