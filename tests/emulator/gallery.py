"""The Microsoft Entra application gallery, as far as this project needs it: the Asana gallery
app, and the documented "Custom" (non-gallery) template.

Sources and what is inferred:

* applicationTemplate properties and their spelling (`categories` in camelCase,
  `supportedSingleSignOnModes` with "saml" and "external", `supportedProvisioningTypes` ["sync"],
  the logo host): the AWS IAM Identity Center template shown in
  https://learn.microsoft.com/graph/application-saml-sso-configure-api and
  https://learn.microsoft.com/graph/api/resources/applicationtemplate.
* The Asana template's id is not published anywhere we could read (graph-synchronization.md
  §3.4): ASANA_TEMPLATE_ID is a stand-in; discover the real one with
  `GET /applicationTemplates?$filter=displayName eq 'Asana'`. Its publisher, categories,
  description and logo file name are likewise modelled on the AWS entry, not copied from Asana's.
* App roles: instantiated gallery and custom apps get two roles, "User" and "msiam_access", both
  for users and groups, `value` null, defined on the application. The ids 18d14569-... and
  b9632174-... are the ones Microsoft's 2025 instantiate example shows ("Configure Microsoft
  Entra Private Access using Microsoft Graph APIs", learn.microsoft.com/graph) and the older
  version of the SAML tutorial above; the current SAML tutorial's AWS app has other ids, so some
  gallery apps differ. Asana's own ids are not published; these are used.
* Tags: a gallery app's service principal is tagged WindowsAzureActiveDirectoryIntegratedApp; a
  custom one also WindowsAzureActiveDirectoryCustomSingleSignOnApplication (same two examples).
* `homepage` follows the `...?metadata=<app>|ISV9.1|primary|z` pattern of both examples; the
  Asana value is inferred from that pattern.
* The Asana provisioning (synchronization) template is tests/emulator/asana_schema.py's, offered
  as {"id": "asana", "factoryTag": "asana", "schema": ...} like tests/conftest.py's ASANA_TEMPLATE.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .asana_schema import asana_template_schema
from .messages import JsonObject

ASANA_TEMPLATE_ID = "0f1d9c2e-7a4b-4c3e-9f1a-5b6d8e2c4a71"
"""Stand-in id of the Asana gallery template (the real one is not published)."""

CUSTOM_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
"""The documented template of non-gallery ("Custom") apps."""

USER_ROLE_ID = "18d14569-c3bd-439b-9a66-3a2aee01d14f"
MSIAM_ACCESS_ROLE_ID = "b9632174-c057-4f7e-951b-be3adc52bfe6"

ASANA_SYNCHRONIZATION_TEMPLATE_ID = "asana"

CUSTOM_APP_TAG = "WindowsAzureActiveDirectoryCustomSingleSignOnApplication"


def default_app_roles() -> list[JsonObject]:
    """The two roles Entra gives an instantiated gallery or custom app."""
    return [
        {
            "allowedMemberTypes": ["User"],
            "description": "User",
            "displayName": "User",
            "id": USER_ROLE_ID,
            "isEnabled": True,
            "origin": "Application",
            "value": None,
        },
        {
            "allowedMemberTypes": ["User"],
            "description": "msiam_access",
            "displayName": "msiam_access",
            "id": MSIAM_ACCESS_ROLE_ID,
            "isEnabled": True,
            "origin": "Application",
            "value": None,
        },
    ]


def asana_synchronization_template() -> JsonObject:
    return {
        "id": ASANA_SYNCHRONIZATION_TEMPLATE_ID,
        "factoryTag": "asana",
        "schema": asana_template_schema(),
    }


@dataclass(frozen=True)
class GalleryApp:
    """An applicationTemplate and what instantiating it creates besides the two objects."""

    template: JsonObject
    homepage: str | None
    tags: tuple[str, ...]
    synchronization_templates: tuple[JsonObject, ...] = field(default=())

    @property
    def id(self) -> str:
        return str(self.template["id"])


def gallery() -> dict[str, GalleryApp]:
    """The templates GET /applicationTemplates lists, by id (fresh copies)."""
    asana = GalleryApp(
        template={
            "id": ASANA_TEMPLATE_ID,
            "displayName": "Asana",
            "homePageUrl": "https://asana.com/",
            "supportedSingleSignOnModes": ["saml", "external"],
            "supportedProvisioningTypes": ["sync"],
            "logoUrl": "https://az495088.vo.msecnd.net/app-logo/asana_215.png",
            "categories": ["collaboration", "productivity", "projectManagement"],
            "publisher": "Asana, Inc.",
            "description": (
                "Asana is a work management platform that helps teams organize, track and "
                "manage their work. Provision users and teams via SCIM."
            ),
        },
        homepage="https://app.asana.com/?metadata=asana|ISV9.1|primary|z",
        tags=("WindowsAzureActiveDirectoryIntegratedApp",),
        synchronization_templates=(asana_synchronization_template(),),
    )
    custom = GalleryApp(
        template={
            "id": CUSTOM_TEMPLATE_ID,
            "displayName": "Custom",
            "homePageUrl": None,
            "supportedSingleSignOnModes": ["password", "saml", "external"],
            "supportedProvisioningTypes": ["sync"],
            "logoUrl": None,
            "categories": [],
            "publisher": "Microsoft Corporation",
            "description": "Integrate any other application that you don't find in the gallery.",
        },
        homepage=(
            "https://account.activedirectory.windowsazure.com:444/applications/default.aspx"
            "?metadata=customappsso|ISV9.1|primary|z"
        ),
        tags=(CUSTOM_APP_TAG, "WindowsAzureActiveDirectoryIntegratedApp"),
    )
    return {app.id: copy.deepcopy(app) for app in (asana, custom)}
