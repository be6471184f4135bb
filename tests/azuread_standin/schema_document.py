"""The Pulumi package schema the stand-in answers GetSchema with.

Minimal on purpose: the served resources and functions with their properties, required
inputs and secret outputs, nested objects typed as `pulumi.json#/Any`, and a description that
says this is a stand-in, so nothing generated from it can pass for the real package.
"""

from __future__ import annotations

from typing import Any

from tests.azuread_standin import PLUGIN_VERSION, STANDIN_NAME
from tests.azuread_standin.functions import FUNCTIONS
from tests.azuread_standin.resources import RESOURCES
from tests.azuread_standin.schema import Prop

_ANY = {"$ref": "pulumi.json#/Any"}


def _type(prop: Prop) -> dict[str, Any]:
    if prop.kind == "string":
        spec: dict[str, Any] = {"type": "string"}
    elif prop.kind == "bool":
        spec = {"type": "boolean"}
    elif prop.kind in ("list", "set"):
        spec = {"type": "array", "items": {"type": "string"}}
    elif prop.kind == "map":
        spec = {"type": "object", "additionalProperties": {"type": "string"}}
    elif prop.kind == "objects":
        spec = {"type": "array", "items": dict(_ANY)}
    else:
        spec = dict(_ANY)
    if prop.sensitive:
        spec["secret"] = True
    if prop.force_new:
        spec["willReplaceOnChanges"] = True
    if prop.default is not None:
        spec["default"] = prop.default
    return spec


def schema_document() -> dict[str, Any]:
    resources = {}
    for token, resource in sorted(RESOURCES.items()):
        props = resource.schema.props
        resources[token] = {
            "description": f"{resource.schema.description} ({STANDIN_NAME})",
            "properties": {prop.name: _type(prop) for prop in props},
            "inputProperties": {prop.name: _type(prop) for prop in props if prop.is_input},
            "requiredInputs": sorted(prop.name for prop in props if prop.required),
        }
    functions = {}
    for token, function in sorted(FUNCTIONS.items()):
        functions[token] = {
            "description": f"{function.schema.description} ({STANDIN_NAME})",
            "inputs": {
                "properties": {prop.name: _type(prop) for prop in function.schema.args},
            },
            "outputs": {"properties": {prop.name: dict(_ANY) for prop in function.schema.outputs}},
        }
    return {
        "name": "azuread",
        "displayName": "azuread (stand-in)",
        "version": PLUGIN_VERSION,
        "description": (
            f"STAND-IN: {STANDIN_NAME}. It imitates only the resources and functions of "
            "pulumi-azuread 6.11.1 that asana-provisioning uses, for end-to-end tests; it is not "
            "the Terraform-bridged provider and must not be used to manage a real tenant."
        ),
        "config": {
            "variables": {
                "clientId": {"type": "string"},
                "clientSecret": {"type": "string", "secret": True},
                "environment": {"type": "string"},
                "metadataHost": {"type": "string"},
                "tenantId": {"type": "string"},
            }
        },
        "resources": resources,
        "functions": functions,
    }
