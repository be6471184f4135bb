"""What a Pulumi URN says: one reading shared by the recovery (which writes a resource's name
into an import file, where a wrong name would make the program create the resource again) and
the drift report (which names each drifted resource)."""

from __future__ import annotations


def resource_name(urn: str) -> str:
    """A URN's name part: everything after its third `::`, as the engine reads it (`URN.Name` in
    pulumi's sdk/go/common/resource/urn/urn.go), since a resource's name may hold `::` itself:
    `urn:pulumi:dev::proj::azuread:index/group:Group::team::a` names `team::a`."""
    return urn.split("::", 3)[-1]


def resource_type(urn: str) -> str:
    """A URN's own type: its part after the second `::`, less the types of the resource's
    parents, which come first, each ended by `$` (`URN.Type` in pulumi's
    sdk/go/common/resource/urn/urn.go). So
    `urn:pulumi:dev::proj::my:index:App$azuread:index/group:Group::team` is of type
    `azuread:index/group:Group`. A string with no type part has none: `""`."""
    parts = urn.split("::")
    return parts[2].split("$")[-1] if len(parts) > 2 else ""
