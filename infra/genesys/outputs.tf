output "flag_participant_action_id" {
  description = "Id of the Lambda data action, to select in Architect's Call Data Action"
  value       = genesyscloud_integration_action.flag_participant.id
}

output "flag_participant_webhook_action_id" {
  description = "Id of the Web Services variant, when webhook_url is set"
  value       = local.webhook_enabled ? genesyscloud_integration_action.flag_participant_webhook[0].id : null
}
