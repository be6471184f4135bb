"""Diff's `detailedDiff` keyed by element paths, as pulumi-terraform-bridge answers it.

The bridge (SDKv2 providers such as pulumi-azuread, accurate previews being the default)
compares the prior state with Terraform's planned state and names each change by its path:
pulumi-terraform-bridge `pkg/tfbridge/detailed_diff.go` (`MakeDetailedDiffV2`), which this
module follows function by function, and `pkg/tfbridge/provider.go` (`Diff`: `diffs` and
`replaces` are the top-level names of the detailed diff's keys, cut at the first `.` or `[`).

- A set (TypeSet: `notificationEmailAddresses`, `owners`, `tags`) is compared by element
  identity (`makeSetDiff`): an element only in the prior state is a DELETE at its index in the
  old list, one only in the plan an ADD at its index in the new inputs, and both at one index
  an UPDATE (`makeSetChangeMap`), e.g. `notificationEmailAddresses[0]`.
- A list of scalars is compared by an edit script (`makeListAttributeDiff`), a list of objects
  index by index and each object field by field (`makeListDiff`, `makeMapDiff`), e.g.
  `credentials[0].value` or `featureTags[0].enterprise`. A block Terraform holds always has every
  attribute (false, ""), so a field going from unset to set inside one is an UPDATE.
- A value absent on one side is an ADD or DELETE of its whole path (`makeShortCircuitDiff`);
  an unknown new value is an UPDATE.
- A kind becomes its _REPLACE variant when the attribute, or the list/set/map directly holding
  it, is ForceNew (`property_path.go` `propertyPathTriggersReplacement`), or, for a whole value
  added or removed, when anything inside it is (`propertyValueTriggersReplacement`).

Only paths leave this module, never values: secrets are compared unmarked (the bridge strips
them first for the same reason) and the engine masks what it shows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.runtime.proto import provider_pb2

from tests.azuread_standin.schema import Prop, ResourceSchema
from tests.azuread_standin.wire import UNKNOWN, has_unknown, reveal

Kinds = provider_pb2.PropertyDiff
Segment = str | int
Path = tuple[Segment, ...]
_REPLACING = {Kinds.ADD_REPLACE: Kinds.ADD, Kinds.DELETE_REPLACE: Kinds.DELETE}
_REPLACING[Kinds.UPDATE_REPLACE] = Kinds.UPDATE
_PROMOTED = {plain: replacing for replacing, plain in _REPLACING.items()}
_ZERO = {"string": "", "bool": False}


@dataclass(frozen=True)
class _Node:
    """The schema at one path: `scalar`, `list`, `set`, `map` (of scalars or objects), or
    `object` (a block's attributes)."""

    kind: str
    force_new: bool = False
    element: _Node | None = None
    fields: tuple[Prop, ...] = ()

    @property
    def is_collection(self) -> bool:
        return self.kind in ("list", "set", "map")


_SCALAR = _Node("scalar")


def node_of(prop: Prop) -> _Node:
    """The bridge's view of a pulumi-azuread property: `objects` is a TF list of blocks,
    `object` a MaxItems=1 block flattened to its attributes."""
    if prop.kind in ("string", "bool"):
        return _Node("scalar", prop.force_new)
    if prop.kind in ("list", "set", "map"):
        return _Node(prop.kind, prop.force_new, _SCALAR)
    if prop.kind == "object":
        return _Node("object", prop.force_new, fields=prop.fields)
    return _Node("list", prop.force_new, _Node("object", fields=prop.fields))


def path_key(path: Path) -> str:
    """A property path as Pulumi writes it (`resource.PropertyPath.String`): `a.b[0]`, with a
    key that holds `.`, `[`, `]` or `"` quoted as `["a.b"]`."""
    text = ""
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif not segment or any(char in segment for char in '.[]"'):
            text += f"[{json.dumps(segment)}]"
        else:
            text += f".{segment}" if text else segment
    return text


def property_diff(prop: Prop, old: Any, new: Any) -> dict[str, int]:
    """The detailed diff of one top-level property between prior state and plan."""
    return _diff((prop.name,), node_of(prop), None, reveal(old), reveal(new))


def diff_response(
    schema: ResourceSchema, olds: Mapping[str, Any], news: Mapping[str, Any]
) -> provider_pb2.DiffResponse:
    """Diff as the bridge answers it: whether anything changed is Terraform's decision
    (`ResourceSchema.diff`); each change is then named by its element path. A change the
    element walk cannot place (a set that only looks different to Terraform) keeps its
    top-level name."""
    outcome = schema.diff(olds, news)
    detailed: dict[str, int] = {}
    for name, kind in outcome.changed.items():
        prop = schema.prop(name)
        paths = {} if prop.kind in _ZERO else property_diff(prop, olds.get(name), news.get(name))
        detailed.update(paths or {name: kind})
    replacing = {_top_level(key) for key, kind in detailed.items() if kind in _REPLACING}
    replaces = sorted(set(outcome.replaces) | replacing)
    return provider_pb2.DiffResponse(
        changes=provider_pb2.DiffResponse.DIFF_SOME
        if detailed
        else provider_pb2.DiffResponse.DIFF_NONE,
        replaces=replaces,
        stables=[name for name in outcome.stables if name not in replaces],
        deleteBeforeReplace=False,
        diffs=sorted({_top_level(key) for key in detailed}),
        detailedDiff={
            key: provider_pb2.PropertyDiff(kind=kind) for key, kind in sorted(detailed.items())
        },
        hasDetailedDiff=True,
    )


def _top_level(key: str) -> str:
    """provider.go: "trimming everything after the first dot" (or bracket)."""
    cut = [at for at in (key.find("."), key.find("[")) if at > 0]
    return key[: min(cut)] if cut else key


def _present(value: Any) -> bool:
    """detailed_diff.go `isPresent`: not null (an empty list or object is present)."""
    return value is not None


def _diff(path: Path, node: _Node, parent: _Node | None, old: Any, new: Any) -> dict[str, int]:
    """`makePropDiff`."""
    if _mismatched(old, node) or _mismatched(new, node):
        return _plain(path, node, parent, old, new)
    if not _present(old) or not _present(new) or new is UNKNOWN:
        return _short_circuit(path, node, parent, old, new)
    if node.kind == "list":
        return _list_diff(path, node, old, new)
    if node.kind == "set":
        return _set_diff(path, node, old, new)
    if node.kind in ("map", "object"):
        return _map_diff(path, node, old, new)
    return _plain(path, node, parent, old, new)


def _mismatched(value: Any, node: _Node) -> bool:
    """`isTypeShapeMismatched`."""
    if value is None or value is UNKNOWN:
        return False
    if node.kind in ("list", "set"):
        return not isinstance(value, list)
    if node.kind in ("map", "object"):
        return not isinstance(value, Mapping)
    return False


def _replaces(node: _Node, parent: _Node | None) -> bool:
    """`propertyPathTriggersReplacement`: ForceNew itself, or held directly by a ForceNew
    list, set or map."""
    return node.force_new or (parent is not None and parent.is_collection and parent.force_new)


def _value_replaces(node: _Node, parent: _Node | None, value: Any) -> bool:
    """`propertyValueTriggersReplacement`: the path or any path inside the value replaces."""
    if _replaces(node, parent):
        return True
    if node.kind in ("list", "set") and isinstance(value, list) and node.element:
        return any(_value_replaces(node.element, node, item) for item in value)
    if node.kind == "map" and isinstance(value, Mapping) and node.element:
        return any(_value_replaces(node.element, node, item) for item in value.values())
    if node.kind == "object" and isinstance(value, Mapping):
        return any(
            _value_replaces(node_of(field), node, value.get(field.name))
            for field in node.fields
            if value.get(field.name) is not None
        )
    return False


def _promote(kind: int, replace: bool) -> int:
    return _PROMOTED.get(kind, kind) if replace else kind


def _plain(path: Path, node: _Node, parent: _Node | None, old: Any, new: Any) -> dict[str, int]:
    """`makePlainPropDiff`."""
    if not _present(old) and not _present(new):
        return {}
    if not _present(old):
        kind = Kinds.ADD
    elif not _present(new):
        kind = Kinds.DELETE
    elif new is UNKNOWN or has_unknown(new) or old != new:
        kind = Kinds.UPDATE
    else:
        return {}
    return {path_key(path): _promote(kind, _replaces(node, parent))}


def _short_circuit(
    path: Path, node: _Node, parent: _Node | None, old: Any, new: Any
) -> dict[str, int]:
    """`makeShortCircuitDiff`: one side absent, or the new value unknown."""
    if not _present(old) and not _present(new):
        return {}
    if not _present(old):
        kind = Kinds.ADD
    elif not _present(new):
        kind = Kinds.DELETE
    else:
        kind = Kinds.UPDATE
    if new is UNKNOWN:
        replace = _replaces(node, parent)
    else:
        replace = (new is not None and _value_replaces(node, parent, new)) or (
            old is not None and _value_replaces(node, parent, old)
        )
    return {path_key(path): _promote(kind, replace)}


def _list_diff(path: Path, node: _Node, old: list[Any], new: list[Any]) -> dict[str, int]:
    """`makeListDiff`: scalars by an edit script, anything else index by index."""
    element = node.element or _SCALAR
    if element.kind == "scalar":
        return {
            key: _promote(kind, node.force_new)
            for key, kind in _list_attribute_diff(path, old, new).items()
        }
    found: dict[str, int] = {}
    for index in range(max(len(old), len(new))):
        before = old[index] if index < len(old) else None
        after = new[index] if index < len(new) else None
        found.update(_diff((*path, index), element, node, before, after))
    return found


def _list_attribute_diff(path: Path, old: list[Any], new: list[Any]) -> dict[str, int]:
    """`makeListAttributeDiff`: an insertion is keyed by its new index, a removal by its old
    one, and an index that has both is an UPDATE (the bridge's `difft.DiffT` edit script; here
    a longest common subsequence, which gives the same script for these short lists)."""
    rows, cols = len(old), len(new)
    common = [[0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            common[i][j] = (
                common[i + 1][j + 1] + 1
                if old[i] == new[j]
                else max(common[i + 1][j], common[i][j + 1])
            )
    edits: list[tuple[int, int]] = []  # (kind, index)
    i = j = 0
    while i < rows or j < cols:
        if i < rows and j < cols and old[i] == new[j]:
            i, j = i + 1, j + 1
        elif j < cols and (i == rows or common[i][j + 1] >= common[i + 1][j]):
            edits.append((Kinds.ADD, j))
            j += 1
        else:
            edits.append((Kinds.DELETE, i))
            i += 1
    found: dict[str, int] = {}
    for kind, index in edits:
        key = path_key((*path, index))
        found[key] = Kinds.UPDATE if key in found else kind
    return found


def _identity(value: Any) -> str:
    """A set element's identity (the bridge hashes it with Terraform's set hash)."""
    return json.dumps(value, sort_keys=True, default=repr)


def _set_diff(path: Path, node: _Node, old: list[Any], new: list[Any]) -> dict[str, int]:
    """`makeSetDiff`: elements matched by identity; the plan's elements are the new inputs'
    (the stand-in plans what the program declared), so a new element's index is its input
    index, as `matchPlanElementsToInputs` makes it."""
    if has_unknown(new):
        return {path_key(path): _promote(Kinds.UPDATE, node.force_new)}
    old_ids = {_identity(item): index for index, item in enumerate(old)}
    new_ids = {_identity(item): index for index, item in enumerate(new)}
    removed = sorted(index for key, index in old_ids.items() if key not in new_ids)
    added = sorted(index for key, index in new_ids.items() if key not in old_ids)
    element = node.element or _SCALAR
    found: dict[str, int] = {}
    for index in sorted({*removed, *added}):
        before = old[index] if index in removed else None
        after = new[index] if index in added else None
        found.update(_diff((*path, index), element, node, before, after))
    return found


def _map_diff(
    path: Path, node: _Node, old: Mapping[str, Any], new: Mapping[str, Any]
) -> dict[str, int]:
    """`makeMapDiff`, over a map's keys or a block's attributes (which Terraform always holds,
    unset ones at their zero value)."""
    if node.kind == "object":
        old, new = _with_zero_values(node, old), _with_zero_values(node, new)
        fields = {field.name: node_of(field) for field in node.fields}
    else:
        fields = {}
    found: dict[str, int] = {}
    for key in sorted(set(old) | set(new)):
        child = fields.get(key, node.element or _SCALAR)
        found.update(_diff((*path, key), child, node, old.get(key), new.get(key)))
    return found


def _with_zero_values(node: _Node, value: Mapping[str, Any]) -> dict[str, Any]:
    filled = dict(value)
    for field in node.fields:
        if filled.get(field.name) is None and field.kind in _ZERO:
            filled[field.name] = _ZERO[field.kind]
    return filled
