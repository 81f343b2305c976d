# The example inbound call flow (flows/verify-and-flag.yaml), published only when
# example_flow_queue names the queue it transfers to. It calls the Lambda data action above; its
# Call Data Action timeout comes from infra/contracts/timeouts.json, like the action's own.

resource "genesyscloud_flow" "verify_and_flag" {
  count    = var.example_flow_queue == "" ? 0 : 1
  filepath = "${path.module}/flows/verify-and-flag.yaml"
  # Re-publish when the YAML changes.
  file_content_hash = filesha256("${path.module}/flows/verify-and-flag.yaml")
  substitutions = {
    flow_name            = "${var.name_prefix} - verify and flag"
    integration_name     = genesyscloud_integration.lambda.config[0].name
    action_name          = genesyscloud_integration_action.flag_participant.name
    queue_name           = var.example_flow_queue
    flow_timeout_seconds = local.timeouts.flowTimeoutSeconds
  }
}
