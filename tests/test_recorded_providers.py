"""State written by earlier versions holds each dynamic resource's provider pickled by dill
(`__provider`); refresh and destroy unpickle it. These were pickled by the version before
`providers/` was split into rules/, clients/ and providers/ (commit 7bf6437), so moving a
module a provider class depends on by name would break existing stacks here first."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import dill
import pytest

from providers.asana_token import AsanaServiceAccountTokenProvider
from providers.attribute_mappings import ProvisioningAttributeMappingsProvider
from providers.provisioning_template import ProvisioningTemplateProvider

RECORDED = Path(__file__).parent / "fixtures" / "providers_pickled_before_layers.json"
CLASSES = [
    AsanaServiceAccountTokenProvider,
    ProvisioningAttributeMappingsProvider,
    ProvisioningTemplateProvider,
]


@pytest.mark.parametrize(
    ("pickled", "cls"),
    list(zip(json.loads(RECORDED.read_text()), CLASSES, strict=True)),
    ids=[cls.__name__ for cls in CLASSES],
)
def test_a_provider_pickled_by_an_earlier_version_unpickles_as_todays(pickled: str, cls: type):
    provider = dill.loads(base64.b64decode(pickled))

    assert type(provider) is cls
