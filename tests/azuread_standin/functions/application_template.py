"""`azuread:index/getApplicationTemplate:getApplicationTemplate` (upstream:
`internal/services/applications/application_template_data_source.go`).

Wire: with `templateId`, `GET /v1.0/applicationTemplates/{id}` (404: "was not found"); with
`displayName`, `GET /v1.0/applicationTemplates?$filter=displayName eq '{name}'`
(https://learn.microsoft.com/graph/api/applicationtemplate-list), which must find exactly one
template whose name matches (case-insensitively). Exactly one of the two is required.
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin.context import Context
from tests.azuread_standin.errors import StandinError
from tests.azuread_standin.functions.base import Function, FunctionSchema, escape
from tests.azuread_standin.graph import segment
from tests.azuread_standin.schema import Prop
from tests.azuread_standin.validation import is_uuid, not_empty


class GetApplicationTemplate(Function):
    schema = FunctionSchema(
        "azuread:index/getApplicationTemplate:getApplicationTemplate",
        "Looks up an application template of the app gallery.",
        args=(
            Prop("displayName", "string", optional=True, validators=(not_empty,)),
            Prop("templateId", "string", optional=True, validators=(is_uuid,)),
        ),
        outputs=(
            Prop("categories", "list", computed=True),
            Prop("displayName", "string", computed=True),
            Prop("homepageUrl", "string", computed=True),
            Prop("id", "string", computed=True),
            Prop("logoUrl", "string", computed=True),
            Prop("publisher", "string", computed=True),
            Prop("supportedProvisioningTypes", "list", computed=True),
            Prop("supportedSingleSignOnModes", "list", computed=True),
            Prop("templateId", "string", computed=True),
        ),
        exactly_one_of=("displayName", "templateId"),
    )

    def invoke(self, ctx: Context, args: dict[str, Any]) -> dict[str, Any]:
        template_id = args.get("templateId")
        if template_id:
            template = ctx.graph.get_if_exists(f"/applicationTemplates/{segment(template_id)}")
            if template is None:
                raise StandinError(f"Application Template with ID {template_id!r} was not found")
        else:
            name = str(args["displayName"])
            query = f"displayName eq '{escape(name)}'"
            found = ctx.graph.list("/applicationTemplates", {"$filter": query})
            if not found:
                raise StandinError(
                    f"Application template not found: no application templates found matching "
                    f'filter: "{query}"'
                )
            if len(found) > 1:
                raise StandinError(
                    "Multiple application templates found: found multiple application templates "
                    f'matching filter: "{query}"'
                )
            template = found[0]
            if str(template.get("displayName") or "").lower() != name.lower():
                raise StandinError(
                    f"Bad API Response: DisplayName does not match "
                    f"({template.get('displayName')!r} != {name!r}) for application template "
                    f'matching filter: "{query}"'
                )
        if not template.get("id"):
            raise StandinError("Bad API Response: ID returned for application template is nil")
        return {
            "categories": list(template.get("categories") or []),
            "displayName": template.get("displayName") or "",
            "homepageUrl": template.get("homePageUrl") or "",
            "id": template["id"],
            "logoUrl": template.get("logoUrl") or "",
            "publisher": template.get("publisher") or "",
            "supportedProvisioningTypes": list(template.get("supportedProvisioningTypes") or []),
            "supportedSingleSignOnModes": list(template.get("supportedSingleSignOnModes") or []),
            "templateId": template["id"],
        }
