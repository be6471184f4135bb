"""Which certificate authorities the stand-in trusts: the system's, or the standard variables'.

The real plugin is a Go binary, and Go on Linux reads `SSL_CERT_FILE`; Python's `requests`
reads `REQUESTS_CA_BUNDLE`. The stand-in honours both (in that order) and nothing else, so a
test trusts the emulator's private CA exactly as it would with the real plugin, and there is
no switch that turns verification off.
"""

from __future__ import annotations

import os


def ca_bundle() -> str | bool:
    """The CA file to verify TLS with, or True for the default trust store."""
    for variable in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        path = os.environ.get(variable, "").strip()
        if path:
            return path
    return True
