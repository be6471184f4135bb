"""What the synchronization service refuses in a schema PUT beyond its shape: an attribute
mapping whose target attribute the target object does not define.

A mapping's target must be an attribute of the object its object mapping targets, in the
directory its rule targets (`synchronizationRules[].targetDirectoryName` → `directories[].name`,
`objectMappings[].targetObjectName` → `objects[].name`, `attributeMappings[].targetAttributeName`
→ `attributes[].name`); the portal only offers those attributes, and Microsoft's custom-attribute
guide has the attribute added to the target object before it is mapped ("Otherwise, The Graph
API will return an error", MicrosoftDocs/azure-docs#46466). The error's wording is not
published: the message below is chosen to be plausible and to name the attribute, the object
and the directory. A document that does not describe a rule's target directory (the minimal
ones some emulator tests PUT) is not checked, since there is nothing to check it against.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .messages import JsonObject


def undefined_targets(schema: JsonObject) -> list[str]:
    """One message per attribute mapping whose target the target object does not define."""
    return [
        f"The target attribute '{target}' of object mapping '{mapping_name}' is not defined on "
        f"object '{object_name}' of directory '{directory_name}'."
        for directory_name, object_name, mapping_name, target, defined in _targets(schema)
        if defined is not None and target.lower() not in defined
    ]


def _targets(
    schema: JsonObject,
) -> Iterator[tuple[str, str, str, str, set[str] | None]]:
    directories = {
        str(d.get("name", "")).lower(): d
        for d in _list(schema.get("directories"))
        if isinstance(d, dict)
    }
    for rule in _list(schema.get("synchronizationRules")):
        if not isinstance(rule, dict):
            continue
        directory_name = str(rule.get("targetDirectoryName", ""))
        directory = directories.get(directory_name.lower())
        for mapping in _list(rule.get("objectMappings")):
            if not isinstance(mapping, dict):
                continue
            object_name = str(mapping.get("targetObjectName", ""))
            defined = None if directory is None else _attributes(directory, object_name)
            for attribute_mapping in _list(mapping.get("attributeMappings")):
                if isinstance(attribute_mapping, dict):
                    target = str(attribute_mapping.get("targetAttributeName", ""))
                    name = str(mapping.get("name", ""))
                    yield directory_name, object_name, name, target, defined


def _attributes(directory: JsonObject, object_name: str) -> set[str]:
    """The target object's attribute names (lower case); none when it has no such object."""
    for obj in _list(directory.get("objects")):
        if isinstance(obj, dict) and str(obj.get("name", "")).lower() == object_name.lower():
            return {
                str(a.get("name", "")).lower()
                for a in _list(obj.get("attributes"))
                if isinstance(a, dict)
            }
    return set()


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
