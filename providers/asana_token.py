"""`AsanaServiceAccountToken`: the portal's "Test Connection", as a resource.

Create and update check the token against Asana's SCIM API before anything downstream stores it
in Entra; read checks it again so that a revoked token shows up in `pulumi refresh` as drift.
The token lives in state only under its own (secret) key; the fingerprint that identifies a
rotation in diffs is a truncated one-way hash. Asana has no API to revoke a service-account
token, so delete only forgets it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from clients.asana import AsanaScimClient, TokenCheck
from providers.base import ConfiguredProvider
from providers.inputs import failure_for_https_url, failures, is_unknown
from rules.asana import SCIM_TENANT_URL
from rules.redaction import digest
from rules.tokens import token_problem

TOKEN_SETTING = "asanaToken"


class TokenRejectedError(Exception):
    """Asana refused the token; the message says how to get one that works."""


def fingerprint(token: str) -> str:
    """Twelve hex digits of SHA-256: tells two tokens apart without revealing either."""
    return "sha256:" + digest(token)


def rejection_advice(check: TokenCheck) -> str:
    reason = (
        "the token is valid but may not use SCIM"
        if check.status == 403
        else "the token is invalid or revoked, or its service account was deleted"
    )
    return (
        f"Asana rejected the service-account token (HTTP {check.status}: {check.message}); "
        f"{reason}. Create a new service account token in Asana's Admin Console (Apps > "
        'Service accounts) with the "User provisioning (SCIM)" scope, then set it with '
        f"`pulumi config set --secret {TOKEN_SETTING} <token>` and run `pulumi up` again."
    )


class AsanaServiceAccountTokenProvider(ConfiguredProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        inputs["scim_base_url"] = _normalized_url(news.get("scim_base_url"))
        found = failures(
            _token_failure(news.get("token")),
            failure_for_https_url("scim_base_url", inputs["scim_base_url"]),
        )
        return CheckResult(inputs, found)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        token = news.get("token")
        changed = (
            is_unknown(token)
            or not isinstance(token, str)
            or fingerprint(token) != olds.get("fingerprint")
            or news.get("scim_base_url") != olds.get("scim_base_url")
            or olds.get("accepted") is not True
        )
        return DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._validated(props["token"], props["scim_base_url"])
        return CreateResult(id_=f"asana-service-account-token-{uuid.uuid4().hex}", outs=outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._validated(news["token"], news["scim_base_url"]))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        token, url = props.get("token"), props.get("scim_base_url") or SCIM_TENANT_URL
        if not isinstance(token, str) or not token:
            return ReadResult(None, {})
        check = self._check(token, url)
        outs = {key: value for key, value in props.items() if key != "rejection"}
        outs.update(scim_base_url=url, fingerprint=fingerprint(token), accepted=check.accepted)
        if not check.accepted:
            outs["rejection"] = f"HTTP {check.status}: {check.message}"
        return ReadResult(id_, outs, inputs={"token": token, "scim_base_url": url})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None

    def _validated(self, token: str, url: str) -> dict[str, Any]:
        check = self._check(token, url)
        if not check.accepted:
            raise TokenRejectedError(rejection_advice(check))
        return {
            "token": token,
            "scim_base_url": url,
            "fingerprint": fingerprint(token),
            "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "accepted": True,
        }

    def _check(self, token: str, url: str) -> TokenCheck:
        return AsanaScimClient(url, token, self.connection().asana_policy).check_token()


def _normalized_url(value: Any) -> Any:
    if value is None or value == "":
        return SCIM_TENANT_URL
    if isinstance(value, str) and not is_unknown(value):
        return value.rstrip("/")  # not stripped of spaces: those are refused, not repaired
    return value


def _token_failure(token: Any) -> CheckFailure | None:
    how = (
        f"copy the token again and set it with `pulumi config set --secret {TOKEN_SETTING} <token>`"
    )
    if is_unknown(token):
        return None
    if not isinstance(token, str):
        return CheckFailure("token", f"must be an Asana service-account token (text); {how}")
    if (problem := token_problem(token)) is not None:
        return CheckFailure(
            "token", f"must be an Asana service-account token; this one {problem}; {how}"
        )
    return None


class AsanaServiceAccountToken(pulumi.dynamic.Resource, module="asana", name="ServiceAccountToken"):
    """A service-account token Asana has accepted; feed `token` to the synchronization secret."""

    token: pulumi.Output[str]
    scim_base_url: pulumi.Output[str]
    fingerprint: pulumi.Output[str]
    validated_at: pulumi.Output[str]
    accepted: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        token: pulumi.Input[str],
        scim_base_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "token": pulumi.Output.secret(token),
            "scim_base_url": scim_base_url,
            "fingerprint": None,
            "validated_at": None,
            "accepted": None,
        }
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=["token"])
        super().__init__(
            AsanaServiceAccountTokenProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, secret_outputs),
        )
