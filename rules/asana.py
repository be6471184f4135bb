"""Asana facts in one place, used by the settings, the providers, tools.adopt and the policy
pack alike; each is sourced in docs/api-facts.md (section labels below)."""

from __future__ import annotations

# Gallery application, found by display name unless a stack pins its template id (api-facts
# graph-synchronization §3.4: the Asana template GUID is not published, so it is looked up,
# never guessed).
GALLERY_DISPLAY_NAME = "Asana"

# The tag that lists a service principal under Enterprise applications in the admin center,
# which `instantiate` gives a gallery app's service principal (Microsoft's instantiate example:
# https://learn.microsoft.com/graph/api/applicationtemplate-instantiate); the admin center lists
# enterprise apps by it (`tags/any(t:t eq '...')`). The azuread provider's takeover of that
# principal (`use_existing`) writes `tags: []` unless the program declares tags, so we do.
ENTERPRISE_APP_TAGS = ("WindowsAzureActiveDirectoryIntegratedApp",)

# SAML SSO values from Microsoft's Asana SSO tutorial (api-facts graph-synchronization §3.3).
SSO_IDENTIFIER = "https://app.asana.com/"
SSO_REPLY_URL = "https://app.asana.com/-/saml/consume"
SSO_SIGN_ON_URL_PREFIX = "https://app.asana.com/a/"
SSO_CERTIFICATE_NAME = "CN=Asana SSO"

# SCIM base URL Asana documents; the provisioning "Tenant URL" (api-facts asana §2,
# graph-synchronization §3.2).
SCIM_TENANT_URL = "https://app.asana.com/api/1.0/scim"

# Users must hold a real app role to be provisioned; the gallery app's is called "User".
DEFAULT_APP_ROLE = "User"

# The portal's default for "Prevent accidental deletions" (api-facts graph-synchronization §6).
DEFAULT_DELETION_THRESHOLD = 500
