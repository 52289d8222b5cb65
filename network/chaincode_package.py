"""Deterministic chaincode-as-a-service packages.

A package is a gzip tar of exactly two regular files, ``metadata.json`` and ``code.tar.gz`` (which holds
``connection.json``). Every tar header and gzip header field that could vary (mtime, owner, mode, names)
is fixed, so the same inputs give the same bytes and every bank computes the same package id
(``<label>:<sha256 of the file>``).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

#: Fabric's package label rule (core/chaincode/persistence LabelRegexp ``^[[:alnum:]][[:alnum:]_.+-]*$``; Go's
#: [[:alnum:]] is ASCII). Used with fullmatch: ``$`` alone would let a trailing newline through.
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
#: Fabric bounds no label, but the peer's ccaas build step works in a temporary directory named
#: ``fabric-<label>-<sha256 hex><up to 10 random digits>`` (externalbuilder.go, os.MkdirTemp): a longer label
#: makes that name longer than the 255 bytes a file name may have, and the install fails.
MAX_LABEL_LENGTH = 255 - len("fabric-") - 1 - 64 - 10


class PackageError(ValueError):
    """The package inputs are invalid."""


@dataclass(frozen=True)
class Connection:
    """connection.json: where the peer dials the chaincode server. Fields may be builder templates."""

    address: str
    root_cert_pem: str
    dial_timeout: str = "10s"
    client_cert_pem: str | None = None
    client_key_pem: str | None = field(default=None, repr=False)  # never shown (logs, tracebacks)

    def to_json(self) -> bytes:
        doc: dict[str, object] = {
            "address": self.address,
            "dial_timeout": self.dial_timeout,
            "tls_required": True,
            "client_auth_required": self.client_cert_pem is not None,
            "root_cert": self.root_cert_pem,
        }
        if self.client_cert_pem is not None:
            doc["client_cert"] = self.client_cert_pem
            doc["client_key"] = self.client_key_pem or ""
        return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _tar_gz(files: list[tuple[str, bytes]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(content))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def package_label(name: str, version: str) -> str:
    """The label of a chaincode's package: ``<name>_<version>``."""
    return f"{name}_{version}"


def is_label(label: str) -> bool:
    """Whether Fabric accepts ``label`` as a package label."""
    return LABEL_RE.fullmatch(label) is not None


def build_package(label: str, connection: Connection) -> bytes:
    """The package bytes for ``label`` (validated against Fabric's label rule)."""
    if not is_label(label):
        raise PackageError(f"label {label!r} must match {LABEL_RE.pattern}")
    if len(label) > MAX_LABEL_LENGTH:
        raise PackageError(f"label {label[:20]}... is {len(label)} characters long; a peer installs at most "
                           f"{MAX_LABEL_LENGTH}")
    code = _tar_gz([("connection.json", connection.to_json())])
    metadata = json.dumps({"path": "", "type": "ccaas", "label": label}, sort_keys=True,
                          separators=(",", ":")).encode()
    return _tar_gz([("metadata.json", metadata), ("code.tar.gz", code)])


def package_id(label: str, package: bytes) -> str:
    return f"{label}:{hashlib.sha256(package).hexdigest()}"


def write_package(path: Path, label: str, connection: Connection) -> str:
    """Write the package to ``path`` and return its package id."""
    package = build_package(label, connection)
    path.parent.mkdir(parents=True, exist_ok=True)
    # owner-only: with mutual TLS its connection.json carries the peer's chaincode client key
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), 0o600)  # an existing file keeps its mode on open
        file.write(package)
    return package_id(label, package)
