"""A throw-away certificate authority so clients verify TLS exactly as in production.

Tests point `verify=` / REQUESTS_CA_BUNDLE at the CA file instead of turning verification off,
so no client code path ever needs an "insecure" switch.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from dataclasses import dataclass

import trustme


@dataclass(frozen=True)
class TlsSetup:
    """Server TLS context plus the CA file clients trust; `directory` holds the file."""

    context: ssl.SSLContext
    ca_bundle_path: str
    directory: str


def create_tls(host: str) -> TlsSetup:
    """Issue a certificate for `host` (and localhost) from a fresh CA written to a temp dir."""
    authority = trustme.CA()
    certificate = authority.issue_cert(host, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    directory = tempfile.mkdtemp(prefix="asana-provisioning-emulator-")
    ca_bundle_path = os.path.join(directory, "ca.pem")
    authority.cert_pem.write_to_path(ca_bundle_path)
    return TlsSetup(context, ca_bundle_path, directory)
