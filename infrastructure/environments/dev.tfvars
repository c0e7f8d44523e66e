# dev: a deployment to try changes on. Nothing runs or notifies on its own: start runs by hand
# (`movers run --date D`) and look at alarms in the console. Every variable: ../terraform.tfvars.example.
environment         = "dev"
allowed_account_ids = [] # the 12-digit id of the AWS account dev deploys to (`make bootstrap` prints it)
lambda_architecture = "arm64"
log_retention_days  = 14

schedule_enabled            = false # no daily run by itself
alarm_notifications_enabled = false # alarms change state but publish nothing
