"""A STAND-IN for the pulumi-azuread 6.11.1 resource plugin, for end-to-end tests only.

The real plugin (`pulumi-resource-azuread`, the Terraform bridge over
hashicorp/terraform-provider-azuread) cannot be built here: the Go module proxy refuses
`github.com/pulumi/pulumi-azuread/provider/v6` and
`github.com/hashicorp/terraform-provider-azuread`.
This package speaks the Pulumi ResourceProvider gRPC protocol under the plugin name `azuread` and
serves only the resources and functions our program declares, with the property names, defaults,
replace-on-change properties, ids, import ids and secret outputs of pulumi-azuread 6.11.1, making
the Microsoft Graph calls the upstream Terraform provider makes for them. Where it differs from the
real plugin, the module of the resource or function says so. It is never used outside `tests/`.
"""

STANDIN_NAME = "azuread stand-in (tests/azuread_standin), not the real pulumi-azuread plugin"
PLUGIN_VERSION = "6.11.1"
"""The version of the Python SDK in requirements.txt; the engine asks the plugin for it."""
