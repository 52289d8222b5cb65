"""CCaaS packages are byte-identical for the same inputs and have the layout the peer accepts."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import time
from pathlib import Path

import pytest

from tradefin.network.chaincode_package import (
    MAX_LABEL_LENGTH,
    Connection,
    PackageError,
    build_package,
    package_id,
)

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_same_inputs_give_identical_bytes_and_package_id() -> None:
    connection = Connection("{{.chaincode.slot0}}", PEM)
    first = build_package("tradefin_1.0", connection)
    time.sleep(1.1)  # a clock tick must not change anything (mtimes are fixed)
    second = build_package("tradefin_1.0", Connection("{{.chaincode.slot0}}", PEM))
    assert first == second
    assert package_id("tradefin_1.0", first) == package_id("tradefin_1.0", second)
    assert package_id("tradefin_1.0", first).startswith("tradefin_1.0:")


def test_different_inputs_give_different_ids() -> None:
    a = build_package("tradefin_1.0", Connection("{{.chaincode.slot0}}", PEM))
    b = build_package("tradefin_1.0", Connection("{{.chaincode.slot1}}", PEM))
    assert package_id("tradefin_1.0", a) != package_id("tradefin_1.0", b)


def test_layout_is_two_regular_files_with_fixed_metadata() -> None:
    package = build_package("kv_2.0", Connection("127.0.0.1:9999", PEM, client_cert_pem=PEM, client_key_pem=PEM))
    assert gzip.decompress(package)  # valid gzip
    assert package[4:8] == b"\0\0\0\0"  # gzip header mtime is zero
    with tarfile.open(fileobj=io.BytesIO(package)) as outer:
        members = outer.getmembers()
        assert [m.name for m in members] == ["metadata.json", "code.tar.gz"]
        assert all(m.isreg() and m.mtime == 0 and m.uid == 0 and m.uname == "" for m in members)
        metadata = json.loads(outer.extractfile("metadata.json").read())  # type: ignore[union-attr]
        code = outer.extractfile("code.tar.gz").read()  # type: ignore[union-attr]
    assert metadata == {"type": "ccaas", "label": "kv_2.0", "path": ""}
    with tarfile.open(fileobj=io.BytesIO(code)) as inner:
        assert inner.getnames() == ["connection.json"]
        connection = json.loads(inner.extractfile("connection.json").read())  # type: ignore[union-attr]
    assert connection["address"] == "127.0.0.1:9999"
    assert connection["tls_required"] is True and connection["client_auth_required"] is True
    assert connection["root_cert"] == PEM and connection["client_cert"] == PEM


@pytest.mark.parametrize("label", ["", "_x", "a b", "x/y", "é", "kv_2.0\n"])
def test_invalid_labels_are_refused(label: str) -> None:
    with pytest.raises(PackageError):
        build_package(label, Connection("127.0.0.1:1", PEM))


def test_a_label_too_long_for_the_peers_build_directory_is_refused() -> None:
    # the ccaas build step's directory is fabric-<label>-<sha256 hex><up to 10 random digits>, a file name
    assert len(f"fabric-{'x' * MAX_LABEL_LENGTH}-{'f' * 64}{2**32 - 1}") == 255
    build_package("x" * MAX_LABEL_LENGTH, Connection("127.0.0.1:1", PEM))
    with pytest.raises(PackageError, match="at most 173"):
        build_package("x" * (MAX_LABEL_LENGTH + 1), Connection("127.0.0.1:1", PEM))


def test_a_package_holding_the_peers_client_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    from tradefin.network.chaincode_package import write_package

    path = tmp_path / "packages" / "tradefin.tar.gz"
    path.parent.mkdir()
    path.write_bytes(b"old")
    path.chmod(0o644)  # an earlier, wider file is narrowed too
    connection = Connection("{{.chaincode.slot0}}", PEM, client_cert_pem=PEM, client_key_pem="KEY PEM")
    write_package(path, "tradefin_1.0", connection)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_connection_never_shows_its_client_key() -> None:
    key = "-----BEGIN EC PRIVATE KEY-----\nSECRETKEY\n"
    connection = Connection("cc:9999", PEM, client_cert_pem=PEM, client_key_pem=key)
    assert "SECRETKEY" not in repr(connection)
    assert b"SECRETKEY" in connection.to_json()  # the peer still gets it
