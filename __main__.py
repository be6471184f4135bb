"""The Pulumi program: validate the Asana service-account token for this stack.

Later steps declare the Entra application, assignments and provisioning around this token.
"""

import pulumi

from providers.asana_token import AsanaServiceAccountToken

config = pulumi.Config()
token = AsanaServiceAccountToken(
    "asana-service-account-token",
    token=config.require_secret("asanaToken"),
    scim_base_url=config.get("scimBaseUrl"),
)

pulumi.export("asanaTokenFingerprint", token.fingerprint)
pulumi.export("asanaTokenValidatedAt", token.validated_at)
