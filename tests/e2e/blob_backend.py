"""A real `azblob://` state backend on this machine: Azurite, Microsoft's Azure Storage emulator.

Azurite comes from npm, pinned by `tests/e2e/azurite/package.json` and its lock file; the first
use runs `npm ci` there (into the git-ignored `node_modules`), so a clean clone needs nothing by
hand but Node.js and npm (3.35.0 is the newest release that runs on the machine's Node.js 20:
3.36 and later require Node.js 21 or 22). It serves the Blob service over HTTPS on 127.0.0.1
only, with a certificate from a trustme CA made per run, for one storage account whose name and
key are new per run (`AZURITE_ACCOUNTS`,
https://learn.microsoft.com/azure/storage/common/storage-use-azurite).

Pulumi's diy backend opens `azblob://` buckets with gocloud.dev's azureblob driver (the version
in engine/go.sum), which reads AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, as the workflows set
them, and builds the service URL from the bucket URL's `domain` and `protocol` options: a domain
starting with 127.0.0.1 gives the emulator's path-style URL
`<protocol>://127.0.0.1:<port>/<account>` (gocloud.dev `blob/azureblob/azureblob.go`,
`NewServiceURL`). So the one thing that differs from a real storage account is the
PULUMI_BACKEND_URL variable's value, `azblob://<container>?domain=127.0.0.1:<port>&protocol=https`.
The CLI trusts the CA through SSL_CERT_FILE (Go reads it on Linux).

The test side reads and writes blobs with the Blob REST API under Shared Key authorization
(https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key), so no Azure
SDK is needed for it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
import shutil
import socket
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import requests
import trustme

PACKAGE = Path(__file__).resolve().parent / "azurite"
MAIN = PACKAGE / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
STAMP = PACKAGE / "node_modules" / ".installed-lock"
"""A copy of the lock file `npm ci` last installed from: a changed lock reinstalls."""
API_VERSION = "2021-12-02"
INSTALL_TIMEOUT_SECONDS = 600
START_TIMEOUT_SECONDS = 30.0


class AzuriteUnavailable(RuntimeError):
    """Node.js or npm is missing, or Azurite would not install or start."""


def ensure_installed() -> Path:
    """Azurite's Blob service entry point, installed with `npm ci` from the lock file first when
    it is not there yet (or the lock changed since)."""
    lock = (PACKAGE / "package-lock.json").read_bytes()
    if MAIN.is_file() and STAMP.is_file() and STAMP.read_bytes() == lock:
        return MAIN
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        raise AzuriteUnavailable("Azurite needs Node.js and npm on PATH (the e2e tests run it)")
    print(f"installing Azurite with `npm ci` in {PACKAGE} (first use)", flush=True)
    installed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=PACKAGE,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
    )
    if installed.returncode != 0 or not MAIN.is_file():
        raise AzuriteUnavailable(f"`npm ci` in {PACKAGE} failed:\n{installed.stderr[-3000:]}")
    STAMP.write_bytes(lock)
    return MAIN


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Azurite:
    """A running Azurite Blob service with one storage account; `stop()` ends it."""

    process: subprocess.Popen[bytes]
    port: int
    account: str
    key: str
    ca_bundle: Path
    folder: Path

    @classmethod
    def start(cls, folder: Path) -> Azurite:
        """Azurite on a free port of 127.0.0.1, its data, certificate and log under `folder`."""
        main = ensure_installed()
        folder.mkdir(parents=True, exist_ok=True)
        authority = trustme.CA()
        certificate = authority.issue_cert("127.0.0.1")
        ca_bundle, cert, key_file = (folder / n for n in ("ca.pem", "cert.pem", "key.pem"))
        authority.cert_pem.write_to_path(str(ca_bundle))
        certificate.cert_chain_pems[0].write_to_path(str(cert))
        certificate.private_key_pem.write_to_path(str(key_file))
        account = f"ci{secrets.token_hex(6)}"  # 3-24 lower-case letters and digits
        key = base64.b64encode(secrets.token_bytes(64)).decode()
        port = _free_port()
        data = folder / "data"
        data.mkdir(exist_ok=True)
        command = [
            shutil.which("node") or "node", str(main),
            "--blobHost", "127.0.0.1", "--blobPort", str(port),
            "--cert", str(cert), "--key", str(key_file),
            "--location", str(data), "--silent", "--disableTelemetry",
            "--skipApiVersionCheck",
        ]  # fmt: skip
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(folder),
            "AZURITE_ACCOUNTS": f"{account}:{key}",
        }
        with (folder / "azurite.log").open("wb") as log:
            process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        azurite = cls(process, port, account, key, ca_bundle, folder)
        azurite._wait_until_listening()
        return azurite

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.1)
        self.stop()
        log = (self.folder / "azurite.log").read_text(errors="replace")[-2000:]
        raise AzuriteUnavailable(f"Azurite did not start on 127.0.0.1:{self.port}:\n{log}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)

    def backend_url(self, container: str) -> str:
        """PULUMI_BACKEND_URL for a container of this account (the `domain` option makes
        gocloud.dev use Azurite's path-style URL, `protocol` keeps it HTTPS)."""
        return f"azblob://{container}?domain=127.0.0.1:{self.port}&protocol=https"

    @property
    def storage_env(self) -> dict[str, str]:
        """The variables the workflows set for an Azure Blob backend, with this account's."""
        return {"AZURE_STORAGE_ACCOUNT": self.account, "AZURE_STORAGE_KEY": self.key}

    # The Blob REST API, signed with the account key.

    def _request(
        self, method: str, path: str, query: dict[str, str], body: bytes = b""
    ) -> requests.Response:
        headers = {"x-ms-date": formatdate(usegmt=True), "x-ms-version": API_VERSION}
        if method == "PUT":
            headers["Content-Length"] = str(len(body))
        resource = f"/{self.account}/{self.account}/{path}"  # the emulator names it twice
        canonical_headers = "".join(
            f"{k}:{v}\n" for k, v in sorted(headers.items()) if k[:5] == "x-ms-"
        )
        canonical_query = "".join(f"\n{k}:{v}" for k, v in sorted(query.items()))
        length = headers.get("Content-Length", "")
        to_sign = "\n".join([method, "", "", "" if length == "0" else length, *[""] * 8])
        to_sign += "\n" + canonical_headers + resource + canonical_query
        digest = hmac.new(base64.b64decode(self.key), to_sign.encode(), hashlib.sha256).digest()
        headers["Authorization"] = f"SharedKey {self.account}:{base64.b64encode(digest).decode()}"
        url = f"https://127.0.0.1:{self.port}/{self.account}/{path}"
        return requests.request(
            method, url, params=query, headers=headers, data=body, verify=str(self.ca_bundle),
            timeout=10,
        )  # fmt: skip

    def create_container(self, name: str) -> None:
        reply = self._request("PUT", name, {"restype": "container"})
        if reply.status_code != 201:
            raise AssertionError(f"creating container {name}: {reply.status_code} {reply.text}")

    def blob_names(self, container: str, prefix: str = "") -> list[str]:
        """The names of the container's blobs (under `prefix`), from List Blobs."""
        query = {"restype": "container", "comp": "list", "prefix": prefix}
        reply = self._request("GET", container, query)
        if reply.status_code != 200:
            raise AssertionError(f"listing {container}: {reply.status_code} {reply.text}")
        root = ElementTree.fromstring(reply.content)
        return sorted(name.text or "" for name in root.iter("Name"))

    def read_blob(self, container: str, name: str) -> bytes:
        reply = self._request("GET", f"{container}/{name}", {})
        if reply.status_code != 200:
            raise AssertionError(f"reading {container}/{name}: {reply.status_code}")
        return reply.content
