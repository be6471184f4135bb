"""`python -m tests.azuread_standin <engine address>`: serve the stand-in plugin (see server.py)."""

from __future__ import annotations

import sys

from tests.azuread_standin.server import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
