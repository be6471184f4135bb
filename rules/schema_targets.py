"""The attributes a job's target object has, read from the job's own schema: plain dicts, no I/O.

`mapping_spec` checks targets offline against Microsoft's published Asana table, which is all a
preview can know. The job's schema is what the service itself checks a PUT against, and a tenant's
schema can differ from the table (a template from before Asana's 2023 additions, attributes an
admin added or removed in the portal's schema editor). So before writing, every target is
checked against the target object in the schema just read: the object mapping's
`targetObjectName`, in the directory named by its rule's `targetDirectoryName`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rules.schema_edit import SchemaEditError, find_object_mapping


def target_attributes(schema: Mapping[str, Any], source: str, target: str) -> list[str]:
    """The attribute names of the object that the `source` -> `target` object mapping targets."""
    r, m = find_object_mapping(schema, source, target)
    rule = schema["synchronizationRules"][r]
    object_name = str(rule["objectMappings"][m].get("targetObjectName", ""))
    directory_name = str(rule.get("targetDirectoryName", ""))
    directories = [d for d in schema.get("directories") or [] if isinstance(d, Mapping)]
    directory = next(
        (d for d in directories if str(d.get("name", "")).lower() == directory_name.lower()), None
    )
    if directory is None:
        named = ", ".join(sorted(str(d.get("name")) for d in directories)) or "none"
        raise SchemaEditError(
            f"the job's schema does not describe its target directory {directory_name!r} "
            f"(it describes: {named}), so the mapping targets cannot be checked"
        )
    for obj in directory.get("objects") or []:
        if isinstance(obj, Mapping) and str(obj.get("name", "")).lower() == object_name.lower():
            return [
                str(a.get("name")) for a in obj.get("attributes") or [] if isinstance(a, Mapping)
            ]
    raise SchemaEditError(
        f"the target directory {directory_name!r} in the job's schema has no object "
        f"{object_name!r}, so the mapping targets cannot be checked"
    )


def check_targets(schema: Mapping[str, Any], desired: Mapping[str, Any]) -> None:
    """Raises `SchemaEditError` naming each target the target object lacks, with the list of
    the attributes it has."""
    attributes = target_attributes(schema, desired["sourceObject"], desired["targetObject"])
    known = {name.lower() for name in attributes}
    missing = [
        f"mappings[{index}].target {mapping['target']!r}"
        for index, mapping in enumerate(desired.get("mappings") or [])
        if str(mapping["target"]).lower() not in known
    ]
    if missing:
        r, m = find_object_mapping(schema, desired["sourceObject"], desired["targetObject"])
        object_name = schema["synchronizationRules"][r]["objectMappings"][m]["targetObjectName"]
        raise SchemaEditError(
            f"{', '.join(missing)} is not an attribute of {object_name} in the job's schema; "
            f"its attributes are: {', '.join(sorted(attributes, key=str.lower))}"
        )
