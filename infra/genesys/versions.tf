terraform {
  required_version = ">= 1.3"
  required_providers {
    genesyscloud = {
      source = "mypurecloud/genesyscloud"
      # The .tf files are checked against this release's schema (provider-schema/, offline, by
      # test/unit/terraform-schema.test.ts): bump the snapshot and this constraint together.
      version = "~> 1.84.1"
    }
  }
}

# Credentials come from the environment: GENESYSCLOUD_OAUTHCLIENT_ID, GENESYSCLOUD_OAUTHCLIENT_SECRET
# and GENESYSCLOUD_REGION (e.g. "eu-west-1"). That OAuth client needs the permissions listed per
# resource in docs/deploy.md (integrations; architect too when the example flow is published), and
# is not the client the function uses.
provider "genesyscloud" {}
