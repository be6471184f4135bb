"""State written by earlier versions holds each dynamic resource's provider pickled by dill
(`__provider`); refresh and destroy unpickle it with today's code.

dill pickles these classes by reference, so each recorded pickle holds only its class's module
path and name and the instance's (empty) `_config`. They were recorded before `providers/` was
split into rules/, clients/ and providers/ (commit 7ea23b7), and they are byte-identical to what
today's code writes. What they prove is therefore narrow: the three classes are still found
under the module paths and names that existing state names. A provider class moved or renamed
fails here; a change to a module the class imports does not (it is imported by name when the
class's module is, like any import), and nothing here exercises an older pickle format.
"""

from __future__ import annotations

import base64
import json
import pickletools
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


def globals_named(pickled: str) -> list[str]:
    """The `module.name` pairs a pickle refers to, read from its opcodes (not by unpickling)."""
    strings: list[str] = []
    named: list[str] = []
    for opcode, argument, _ in pickletools.genops(base64.b64decode(pickled)):
        if opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(str(argument))
        elif opcode.name == "STACK_GLOBAL":
            named.append(".".join(strings[-2:]))
        elif opcode.name == "GLOBAL":
            named.append(str(argument).replace(" ", "."))
    return named


def test_the_recorded_pickles_name_only_the_provider_classes_at_their_module_paths():
    """What the test above rests on: the pickles reference nothing but the classes."""
    recorded = json.loads(RECORDED.read_text())

    assert [globals_named(p) for p in recorded] == [
        ["providers.asana_token.AsanaServiceAccountTokenProvider"],
        ["providers.attribute_mappings.ProvisioningAttributeMappingsProvider"],
        ["providers.provisioning_template.ProvisioningTemplateProvider"],
    ]
