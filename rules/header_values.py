"""What a credential sent in an HTTP header may contain. Pure.

`requests` encodes header values as Latin-1, so a token holding "…" (a truncated copy from a
web page) fails with `UnicodeEncodeError` deep inside the request, after the preview said
nothing. Tokens and bearer credentials are visible ASCII, so anything else is refused up front.
"""

from __future__ import annotations

import unicodedata


def header_value_problem(value: str) -> str | None:
    """Why `value` cannot be sent as a credential in an HTTP header, or None.

    The text never quotes the value; it names the offending character only when that
    character is not plain ASCII (no secret is spelled with it).
    """
    for character in value:
        code = ord(character)
        if character.isspace():
            return "has a space or line break"
        if code < 0x20 or code == 0x7F:
            return "has a control character"
        if code > 0x7E:
            name = unicodedata.name(character, "an unnamed character").lower()
            hint = ", as a truncated copy leaves" if character == "\u2026" else ""
            return (
                f"has U+{code:04X} ({name}{hint}), which an HTTP header cannot carry: only "
                "visible ASCII characters are allowed"
            )
    return None
