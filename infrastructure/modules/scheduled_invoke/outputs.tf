output "name" {
  description = "Schedule name."
  value       = aws_scheduler_schedule.this.name
}

output "state" {
  description = "ENABLED or DISABLED."
  value       = aws_scheduler_schedule.this.state
}

output "schedule_expression" {
  description = "The schedule's expression."
  value       = aws_scheduler_schedule.this.schedule_expression
}

output "timezone" {
  description = "Time zone of the expression."
  value       = aws_scheduler_schedule.this.schedule_expression_timezone
}

output "role_arn" {
  description = "The role the schedule reaches its target with."
  value       = aws_iam_role.this.arn
}

output "input" {
  description = "The JSON input the schedule sends its target."
  value       = aws_scheduler_schedule.this.target[0].input
}
