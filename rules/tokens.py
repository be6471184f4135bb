"""The rule for an Asana service-account token, judged offline: by the stack settings at
preview and by the token resource's `check` alike, so both refuse the same values."""

from __future__ import annotations

from rules.header_values import header_value_problem

MAX_TOKEN_LENGTH = 4096


def token_problem(token: str) -> str | None:
    """What makes `token` unusable as Asana's bearer token, or None. Never quotes the token."""
    if not token.strip():
        return "is empty"
    if len(token) > MAX_TOKEN_LENGTH:
        return f"is over {MAX_TOKEN_LENGTH} characters"
    return header_value_problem(token)
