"""Deliberately broken token providers: they prove the leak scan fails when it should.

They live in an importable module because the provider process loads them by reference.
"""

from __future__ import annotations

import logging
from typing import Any

from pulumi.dynamic import CreateResult

from providers.asana_token import AsanaServiceAccountTokenProvider


class TokenInAnOutput(AsanaServiceAccountTokenProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        result = super().create(props)
        return CreateResult(result.id, {**(result.outs or {}), "token_hint": props["token"]})


class TokenInALogLine(AsanaServiceAccountTokenProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        logging.getLogger(__name__).warning("validating token %s", props["token"])
        return super().create(props)


class TokenInAnError(AsanaServiceAccountTokenProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        raise ValueError(f"cannot use token {props['token']}")


class TokenInTheProviderObject(AsanaServiceAccountTokenProvider):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
