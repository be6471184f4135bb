"""The synchronizationSchema the emulator serves for the Asana gallery app's provisioning job.

Our product code reads this document, edits attribute mappings and PUTs the whole thing back
(graph-synchronization.md §1.2: the PUT replaces the schema). A toy schema would let that code
get away with dropping fields, flattening nesting or mis-encoding function parameters, so this
one copies the shape of documents the real service returns. Sources, by part (all public):

* Document, rule, object mapping, attribute mapping and source field names and nesting:
  MGDC ``api-reference/v1.0/resources/synchronization-objectmapping.md`` (full Salesforce user
  mapping) and ``concepts/application-provisioning-configure-api.md`` (the AWS Single-Account
  Access gallery template, a SCIM app: rule ``USERGROUP_OUTBOUND_USERGROUP``, priority 1, rule
  metadata ``supportsProvisionOnDemand``, group target ``urn:ietf:params:scim:schemas:core:2.0:
  Group``, object mapping metadata including ``OriginalJoiningProperty``, schema id
  ``<templateId>.00000000000000000000000000000000``).
* ``containerFilter``/``groupFilter`` as ``null`` on a rule: the portal's schema editor view of
  a cross-tenant sync schema (``"containerFilter": null, "editable": true, "groupFilter": null``)
  quoted in Microsoft troubleshooting pages, and a 2025 v1.0 GET of a Cloud Sync job schema.
* Directory fields (``discoverabilities`` without a space, ``discoveryDateTime: null``,
  ``readOnly``, ``version`` in ``Date:..., ActivityId:...`` form), the Entra directory id and
  ``supportedApis`` on objects: the same 2025 Cloud Sync export.
* Attribute definition fields (``anchor``, ``caseExact``, ``defaultValue``, ``flowNullValues``,
  ``multivalued``, ``mutability``, ``name``, ``required``, ``type``, ``apiExpressions``,
  ``metadata``, ``referencedObjects``) and object metadata keys: MGDC
  ``synchronization-objectdefinition.md``/``-directorydefinition.md`` and current vendor guides
  that paste attributes into Entra's schema editor (Cato Networks, 2026).
* Function parameter keys: the service's own function list (MGDC beta
  ``api/synchronization-synchronizationschema-functions.md``: ``Join(separator, source*)``,
  ``Switch(source, defaultValue, switchValue*)``) and its parser output for
  ``Replace([preferredLanguage], "-", , , "_", , )`` (``parseexpression.md``), which keys each
  parameter by its schema name and leaves out the arguments that were left empty.
* Target attribute names: the Asana provisioning tutorial (graph-synchronization.md §3.1).

What no public source shows (the Asana template's real id, target directory name, source side
of each mapping, rule id) is chosen to look like the real thing and is marked as such below.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["asana_template_schema"]

Json = dict[str, Any]

# Source directory name as the brief and the older Graph docs have it. Exports made since 2025
# (Cloud Sync, cross-tenant sync, the Cato Networks guide) name the Entra directory
# "Microsoft Entra ID" instead, so product code must not rely on either spelling.
_ENTRA_DIRECTORY = "Azure Active Directory"
# The id Microsoft's documents give the Entra directory definition, unchanged from the 2018
# Graph samples to a 2025 Cloud Sync export.
_ENTRA_DIRECTORY_ID = "66e4a8cc-1b7b-435e-95f8-f06cea133828"
# Gallery target directories are named after the app (AWS: "AWSSingleSignon"); Asana's real
# name is not published.
_ASANA_DIRECTORY = "Asana"
_ASANA_DIRECTORY_ID = "2802d230-cd9b-4c09-ac89-c300bfb2eb08"
# The emulator tests offer the template under this id; the real Asana template id is unknown.
_TEMPLATE_ID = "asana"

# SCIM gallery and custom apps name their target objects after the SCIM schema URN, not
# "User"/"Group": the AWS gallery template maps Group -> "urn:ietf:params:scim:schemas:core:2.0:
# Group" (MGDC concepts/application-provisioning-configure-api.md), and a schema PUT for a SCIM
# app maps User -> "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" (blog post on
# directory extension attributes in SCIM provisioning). The portal's "customappsso Attribute"
# column lists the enterprise extension's attributes in the same object as userName.
_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
_USER_OBJECT = _ENTERPRISE
_GROUP_OBJECT = "urn:ietf:params:scim:schemas:core:2.0:Group"

_RULE_ID = "975f4f51-3196-4c7c-92a0-6a3ee44bfd35"
_RULE_NAME = "USERGROUP_OUTBOUND_USERGROUP"


def _version(stamp: str, activity: str) -> str:
    """The service's version string; the value changes on every save, the shape does not."""
    return f"Date:{stamp}, ActivityId:{activity}"


def _attribute(
    name: str,
    type_: str = "String",
    *,
    anchor: bool = False,
    required: bool = False,
    multivalued: bool = False,
    references: tuple[str, ...] = (),
) -> Json:
    """One attributeDefinition with every field a real export carries, not just name/type."""
    return {
        "anchor": anchor,
        "caseExact": False,
        "defaultValue": None,
        "flowNullValues": False,
        "multivalued": multivalued,
        "mutability": "ReadWrite",
        "name": name,
        "required": required,
        "type": type_,
        "apiExpressions": [],
        "metadata": [],
        "referencedObjects": [{"referencedObjectName": target} for target in references],
    }


def _pairs(**entries: str) -> list[Json]:
    """Metadata as the key/value list the service uses; values are strings, some JSON-quoted."""
    return [{"key": key, "value": value} for key, value in entries.items()]


def _object(name: str, attributes: list[Json], metadata: list[Json]) -> Json:
    """One objectDefinition."""
    return {"name": name, "attributes": attributes, "metadata": metadata, "supportedApis": []}


def _attr_source(name: str) -> Json:
    """A source that reads one source attribute: ``[name]``."""
    return {"expression": f"[{name}]", "name": name, "parameters": [], "type": "Attribute"}


def _constant(value: str) -> Json:
    """A constant source; the expression is the quoted value, the name the bare value."""
    return {"expression": f'"{value}"', "name": value, "parameters": [], "type": "Constant"}


def _function(expression: str, name: str, parameters: list[tuple[str, Json]]) -> Json:
    """A function source; repeated parameters repeat their key, empty arguments are absent."""
    return {
        "expression": expression,
        "name": name,
        "parameters": [{"key": key, "value": value} for key, value in parameters],
        "type": "Function",
    }


def _mapping(target: str, source: Json, *, matching: int = 0) -> Json:
    """One attributeMapping with all seven fields, defaults as the template ships them."""
    return {
        "defaultValue": None,
        "exportMissingReferences": False,
        "flowBehavior": "FlowWhenChanged",
        "flowType": "Always",
        "matchingPriority": matching,
        "source": source,
        "targetAttributeName": target,
    }


def _object_mapping_metadata(joining_property: str) -> list[Json]:
    """The objectMapping metadata block; Disposition and EscrowBehavior are JSON strings."""
    return _pairs(
        IsCustomerDefined="false",
        DisableMonitoringForChanges="false",
        Disposition='"Normal"',
        ExcludeFromReporting="false",
        EscrowBehavior='"Default"',
        Unsynchronized="false",
        OriginalJoiningProperty=joining_property,
    )


def _user_mappings() -> list[Json]:
    """Every user target attribute in the Asana tutorial, in its order. The tutorial lists only
    targets; the sources are the usual SCIM gallery choices, plus one constant."""
    active = _function(
        'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
        "Switch",
        [
            ("source", _attr_source("IsSoftDeleted")),
            # defaultValue was left empty in the expression, so it has no entry here.
            ("switchValue", _constant("False")),
            ("switchValue", _constant("True")),
            ("switchValue", _constant("True")),
            ("switchValue", _constant("False")),
        ],
    )
    formatted = _function(
        'Join(" ", [givenName], [surname])',
        "Join",
        [
            ("separator", _constant(" ")),
            ("source", _attr_source("givenName")),
            ("source", _attr_source("surname")),
        ],
    )
    return [
        _mapping("userName", _attr_source("userPrincipalName"), matching=1),
        _mapping("active", active),
        _mapping("name.formatted", formatted),
        _mapping("title", _attr_source("jobTitle")),
        _mapping(f"{_ENTERPRISE}:department", _attr_source("department")),
        _mapping(f"{_ENTERPRISE}:manager", _attr_source("manager")),
        _mapping('addresses[type eq "work"].country', _attr_source("country")),
        _mapping('addresses[type eq "work"].region', _attr_source("state")),
        _mapping('addresses[type eq "work"].locality', _attr_source("city")),
        _mapping('phoneNumbers[type eq "work"].value', _attr_source("telephoneNumber")),
        _mapping(f"{_ENTERPRISE}:employeeNumber", _attr_source("employeeId")),
        _mapping(f"{_ENTERPRISE}:costCenter", _attr_source("extensionAttribute1")),
        _mapping(f"{_ENTERPRISE}:organization", _constant("Contoso")),
        _mapping(f"{_ENTERPRISE}:division", _attr_source("extensionAttribute2")),
    ]


def _group_mappings() -> list[Json]:
    """The two group target attributes in the Asana tutorial."""
    return [
        _mapping("displayName", _attr_source("displayName"), matching=1),
        _mapping("members", _attr_source("members")),
    ]


def _rule() -> Json:
    """The one outbound rule: Entra users and groups to Asana."""
    return {
        "containerFilter": None,
        "editable": True,
        "groupFilter": None,
        "id": _RULE_ID,
        "metadata": _pairs(supportsProvisionOnDemand="true"),
        "name": _RULE_NAME,
        "objectMappings": [
            {
                "attributeMappings": _user_mappings(),
                "enabled": True,
                "flowTypes": "Add, Update, Delete",
                "metadata": _object_mapping_metadata("userName"),
                "name": "Synchronize Microsoft Entra ID Users to Asana",
                "scope": None,
                "sourceObjectName": "User",
                "targetObjectName": _USER_OBJECT,
            },
            {
                "attributeMappings": _group_mappings(),
                "enabled": True,
                "flowTypes": "Add, Update, Delete",
                "metadata": _object_mapping_metadata("displayName"),
                "name": "Synchronize Microsoft Entra ID Groups to Asana",
                "scope": None,
                "sourceObjectName": "Group",
                "targetObjectName": _GROUP_OBJECT,
            },
        ],
        "priority": 1,
        "sourceDirectoryName": _ENTRA_DIRECTORY,
        "targetDirectoryName": _ASANA_DIRECTORY,
    }


def _entra_directory() -> Json:
    """The read-only source directory: every source attribute the mappings use, plus the usual
    neighbours a real attribute list has (so an edit can pick a new source)."""
    user_strings = [
        "city",
        "companyName",
        "country",
        "department",
        "employeeId",
        "extensionAttribute1",
        "extensionAttribute2",
        "extensionAttribute3",
        "givenName",
        "jobTitle",
        "mail",
        "mailNickname",
        "mobile",
        "postalCode",
        "preferredLanguage",
        "state",
        "streetAddress",
        "surname",
        "telephoneNumber",
    ]
    user = _object(
        "User",
        [
            _attribute("objectId", anchor=True),
            _attribute("IsSoftDeleted", "Boolean", required=True),
            _attribute("accountEnabled", "Boolean", required=True),
            _attribute("displayName", required=True),
            _attribute("userPrincipalName", required=True),
            _attribute("manager", "Reference", references=("User",)),
            *(_attribute(name) for name in user_strings),
        ],
        _pairs(
            IsSoftDeletionSupported="true",
            ConnectorDataStorageRequired="true",
            IsSynchronizeAllSupported="true",
            PropertyNameAccountEnabled="accountEnabled",
            PropertyNameSoftDeleted="IsSoftDeleted",
        ),
    )
    group = _object(
        "Group",
        [
            _attribute("objectId", anchor=True),
            _attribute("IsSoftDeleted", "Boolean", required=True),
            _attribute("displayName", required=True),
            _attribute("description"),
            _attribute("mail"),
            _attribute("mailNickname"),
            _attribute("members", "Reference", multivalued=True, references=("User", "Group")),
        ],
        _pairs(
            IsSoftDeletionSupported="true",
            ConnectorDataStorageRequired="true",
            IsSynchronizeAllSupported="true",
            PropertyNameSoftDeleted="IsSoftDeleted",
        ),
    )
    return {
        "id": _ENTRA_DIRECTORY_ID,
        "discoveryDateTime": None,
        "discoverabilities": "AttributeNames,AttributeDataTypes",
        "name": _ENTRA_DIRECTORY,
        "readOnly": True,
        "version": _version("2026-04-28T08:15:42.6624511Z", "38c0c1ad-20da-4830-863c-53f98629086f"),
        "objects": [user, group],
    }


def _asana_directory() -> Json:
    """The editable SCIM target directory: exactly the attributes the tutorial lists, plus the
    SCIM ``id`` each object is anchored on."""
    user = _object(
        _USER_OBJECT,
        [
            _attribute("id", anchor=True),
            _attribute("userName", required=True),
            _attribute("active", "Boolean"),
            _attribute("name.formatted"),
            _attribute("title"),
            _attribute(f"{_ENTERPRISE}:department"),
            _attribute(f"{_ENTERPRISE}:manager", "Reference", references=(_USER_OBJECT,)),
            _attribute('addresses[type eq "work"].country'),
            _attribute('addresses[type eq "work"].region'),
            _attribute('addresses[type eq "work"].locality'),
            _attribute('phoneNumbers[type eq "work"].value'),
            _attribute(f"{_ENTERPRISE}:employeeNumber"),
            _attribute(f"{_ENTERPRISE}:costCenter"),
            _attribute(f"{_ENTERPRISE}:organization"),
            _attribute(f"{_ENTERPRISE}:division"),
        ],
        _pairs(
            IsSoftDeletionSupported="true",
            ConnectorDataStorageRequired="false",
            IsSynchronizeAllSupported="false",
        ),
    )
    group = _object(
        _GROUP_OBJECT,
        [
            _attribute("id", anchor=True),
            _attribute("displayName", required=True),
            _attribute("members", "Reference", multivalued=True, references=(_USER_OBJECT,)),
        ],
        _pairs(
            IsSoftDeletionSupported="false",
            ConnectorDataStorageRequired="false",
            IsSynchronizeAllSupported="false",
        ),
    )
    return {
        "id": _ASANA_DIRECTORY_ID,
        "discoveryDateTime": None,
        "discoverabilities": "None",
        "name": _ASANA_DIRECTORY,
        "readOnly": False,
        "version": _version("2026-04-28T08:15:42.6624511Z", "f6d5a0e1-6796-4e5a-b865-fc715005789c"),
        "objects": [user, group],
    }


_SCHEMA: Json = {
    "id": f"{_TEMPLATE_ID}.{'0' * 32}",
    "version": _version("2026-05-05T10:11:12.1234567Z", "1a97c248-bbd0-4b66-bc8c-ca18cbd3c0e3"),
    "synchronizationRules": [_rule()],
    "directories": [_entra_directory(), _asana_directory()],
}


def asana_template_schema() -> dict[str, Any]:
    """A fresh deep copy of the Asana template's synchronizationSchema.

    Fresh on every call because the emulator and the tests edit schemas in place; a shared
    document would leak one test's edits into the next.
    """
    return copy.deepcopy(_SCHEMA)
