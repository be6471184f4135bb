"""What a Pulumi URN says: one reading shared by the recovery (which writes a resource's name
into an import file, where a wrong name would make the program create the resource again) and
the drift report (which names each drifted resource)."""

from __future__ import annotations


def resource_name(urn: str) -> str:
    """A URN's name part: everything after its third `::`, as the engine reads it (`URN.Name` in
    pulumi's sdk/go/common/resource/urn/urn.go), since a resource's name may hold `::` itself:
    `urn:pulumi:dev::proj::azuread:index/group:Group::team::a` names `team::a`."""
    return urn.split("::", 3)[-1]
