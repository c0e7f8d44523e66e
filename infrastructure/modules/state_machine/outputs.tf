output "arn" {
  description = "State machine ARN."
  value       = aws_sfn_state_machine.this.arn
}

output "alias_arn" {
  description = "ARN of the `live` alias: what schedules, rules and functions start."
  value       = aws_sfn_alias.live.arn
}

output "version_arn" {
  description = "The version published by the latest definition change."
  value       = aws_sfn_state_machine.this.state_machine_version_arn
}

output "definition" {
  description = "The rendered ASL definition (numbers as JSON numbers), as deployed."
  value       = local.definition
}

output "name" {
  description = "State machine name."
  value       = aws_sfn_state_machine.this.name
}

output "role_name" {
  description = "Name of the state machine's role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Execution log group."
  value       = aws_cloudwatch_log_group.this.name
}
