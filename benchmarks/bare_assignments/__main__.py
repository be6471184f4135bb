"""The baseline for the real-engine benchmark: one bare `azuread.AppRoleAssignment` per group,
to a service principal that already exists, and nothing else."""

import pulumi
import pulumi_azuread as azuread

config = pulumi.Config()
for group in config.require_object("groupIds"):
    azuread.AppRoleAssignment(
        f"bare-{group}",
        app_role_id=config.require("appRoleId"),
        principal_object_id=group,
        resource_object_id=config.require("resourceObjectId"),
    )
