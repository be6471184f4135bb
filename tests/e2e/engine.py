"""Where the real Pulumi engine and the azuread stand-in are, and the environment they run in.

`make engine` puts the pinned CLI, the language host and the executor scripts in `.tools/bin`,
or leaves an installed `pulumi` of at least the pinned version on PATH. The azuread provider
plugin cannot be built here (docs/engine.md), so the local runs put the stand-in in
`tests/azuread_standin/bin` on PATH; the CLI says so itself ("using pulumi-resource-azuread from
$PATH").
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / ".tools" / "bin"
STANDIN_BIN = ROOT / "tests" / "azuread_standin" / "bin"
VENV = ROOT / ".venv"
PASSPHRASE = "local-demo-passphrase"
"""Encrypts the secrets of the local stacks only; they hold nothing but the emulator's tokens."""

_INHERITED = ("HOME", "LANG", "LC_ALL", "TMPDIR", "TERM", "USER", "GOCACHE", "GOPATH")
"""Variables passed through from the caller; nothing that could reach a real tenant (ARM_*,
AZURE_*, PULUMI_ACCESS_TOKEN) is among them."""


class EngineMissing(RuntimeError):
    """Neither `.tools/bin/pulumi` nor a `pulumi` on PATH: `make engine` has not run."""


def engine_bin() -> Path:
    """The folder of the `pulumi` to run: the pinned build, else the one on PATH."""
    if (TOOLS_BIN / "pulumi").is_file():
        return TOOLS_BIN
    found = shutil.which("pulumi")
    if found is None:
        raise EngineMissing("no Pulumi CLI found: run `make engine` first")
    return Path(found).parent


def cli_environment(
    *, backend: Path, home: Path, ca_bundle: str | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A closed environment for one CLI run: its own backend and plugin home, the stand-in on
    PATH, the emulator's CA trusted through the standard variables, no update checks and no
    plugin downloads (there is no internet; a missing plugin must fail, not hang)."""
    path = [str(engine_bin()), str(STANDIN_BIN), os.defpath]
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env.update(
        PATH=os.pathsep.join(path),
        PULUMI_BACKEND_URL=backend.as_uri(),
        PULUMI_HOME=str(home),
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        NO_COLOR="1",
    )
    if ca_bundle is not None:
        env.update(SSL_CERT_FILE=ca_bundle, REQUESTS_CA_BUNDLE=ca_bundle)
    env.update(extra or {})
    return env
