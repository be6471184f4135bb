"""The sample report in docs/health.md and the README, made by running the health check
against the emulator.

    .venv/bin/python -m tests.health_sample            # prints it
    .venv/bin/python -m tests.health_sample --write    # puts it into both documents

The story: a cycle in which Asana refused one user, then the Asana token revoked in Asana's
Admin Console and one more cycle, which quarantines the job. `tests/test_health.py` regenerates
the sample and compares it with the documented one, times and the job id aside, so the document
cannot go stale.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from clients.connection import resolve
from clients.credentials import shared_credential
from components.settings import load_health_check_settings
from tests.doc_sections import section, with_section
from tests.emulator import Emulator
from tests.health_tenant import GRACE, SP, pulumi_config, seed_asana_app, stack_outputs
from tools import health
from tools.health_render import render_text

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "health.md"
DOCS = (ROOT / "README.md", DOC)
"""Where the sample stands, each between the two markers."""
START, END = "<!-- health-sample:start -->", "<!-- health-sample:end -->"
TENANT_ID = "0d2f6c1e-8a5b-4f3e-9c7d-1b2a3c4d5e6f"
CLIENT_ID = "6b1e0f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
_VOLATILE = [
    (re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC"), "<time>"),
    (re.compile(r"asana\.[0-9a-f]{32}\.[0-9a-f-]{36}"), "<job id>"),
]


def generate() -> str:
    """The plain-text report of a quarantined job, from a fresh emulator."""
    emulator = Emulator.start()
    previous = {name: os.environ.get(name) for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")}
    try:
        os.environ["REQUESTS_CA_BUNDLE"] = os.environ["SSL_CERT_FILE"] = emulator.ca_bundle_path
        shared_credential.cache_clear()
        client_secret, token = f"sample~{secrets.token_urlsafe(16)}", secrets.token_hex(16)
        emulator.register_app(TENANT_ID, CLIENT_ID, client_secret)
        emulator.add_scim_token(token)
        job_id = seed_asana_app(emulator, token)
        emulator.fail_export(
            GRACE,
            "AsanaDuplicateUser",
            "Asana returned 409 Conflict: a user with the email grace@contoso.com already "
            "exists in the organization.",
        )
        emulator.run_provisioning_cycle(SP, job_id)
        emulator.revoke_scim_token(token)
        emulator.run_provisioning_cycle(SP, job_id)
        document = pulumi_config(emulator, TENANT_ID, CLIENT_ID, client_secret, token)
        config = {key: entry["value"] for key, entry in document.items()}
        secret_keys = frozenset(key for key, entry in document.items() if entry["secret"])
        connection = resolve(config, {}, secret_keys)
        settings = load_health_check_settings(config, secret_keys)
        outputs = stack_outputs(job_id)
        target = health.Target(SP, job_id, outputs["provisioningLogsPage"])
        report = health.check("dev", connection, settings, target, datetime.now(UTC))
        return render_text(report)
    finally:
        emulator.stop()
        shared_credential.cache_clear()
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def documented(doc: Path = DOC) -> str:
    """The sample as `doc` has it (the text inside its code block)."""
    inside = section(doc.read_text(encoding="utf-8"), START, END)
    return inside.removeprefix("```text").removesuffix("```").strip("\n") + "\n"


def stable(text: str) -> str:
    """The sample without what changes from run to run (times, the job id)."""
    for pattern, placeholder in _VOLATILE:
        text = pattern.sub(placeholder, text)
    return text


def write(sample: str) -> None:
    for doc in DOCS:
        text = with_section(
            doc.read_text(encoding="utf-8"), START, END, f"```text\n{sample.rstrip()}\n```"
        )
        doc.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="put the sample into the document")
    args = parser.parse_args(argv)
    sample = generate()
    if args.write:
        write(sample)
        print(f"wrote the sample into {', '.join(d.name for d in DOCS)}", file=sys.stderr)
    else:
        print(sample, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
