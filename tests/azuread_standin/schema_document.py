"""The Pulumi package schema the stand-in answers GetSchema with: pulumi-azuread 6.11.1's own.

The real plugin embeds `provider/cmd/pulumi-resource-azuread/schema.json` with its version set
(pulumi/pulumi-azuread `provider/cmd/pulumi-resource-azuread/generate.go` writes
`schema-embed.json`, `main.go` hands it to `tfbridge.Main`, which serves it as it is). The
stand-in serves the same document, trimmed to the resources and functions it implements and the
types they reference (`tests/fixtures/azuread-schema-6.11.1.json`, its source and the trimming
in `tests/fixtures/azuread-schema-6.11.1.md`), so everything generated from the schema (`pulumi
import`'s code, `azuread.ServicePrincipal(...)` in the `index` module by `meta.moduleFormat`;
nested object types; secret flags; stateInputs; deprecation messages) is what the real package
generates.

One difference, on purpose: the package's own top-level `description` says it is the stand-in,
so a schema dumped from it (`pulumi package get-schema`) cannot pass for the real package. The
behaviour-driving declarations of each resource and function (`Prop`: required, secret,
replace-on-change, types) are kept in step with this document by
`tests/test_azuread_standin_schema.py`.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from tests.azuread_standin import PLUGIN_VERSION, STANDIN_NAME

SCHEMA_FILE = (
    Path(__file__).resolve().parent.parent / "fixtures" / f"azuread-schema-{PLUGIN_VERSION}.json"
)
"""pulumi-azuread's schema.json, trimmed to what the stand-in serves."""

STANDIN_DESCRIPTION = (
    f"STAND-IN: {STANDIN_NAME}. It imitates only the resources and functions of "
    f"pulumi-azuread {PLUGIN_VERSION} that asana-provisioning uses, for end-to-end tests; it is "
    "not the Terraform-bridged provider and must not be used to manage a real tenant."
)


@functools.cache
def real_schema() -> dict[str, Any]:
    """The committed trimmed upstream schema, as upstream wrote it (no version)."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def schema_document() -> dict[str, Any]:
    """What GetSchema answers: the upstream document with the version the real plugin embeds
    and the stand-in's package description."""
    document = copy.deepcopy(real_schema())
    document["version"] = PLUGIN_VERSION
    document["description"] = STANDIN_DESCRIPTION
    return document
