"""Connection profiles (JSON and YAML, as the network launcher writes them) and endpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives import serialization

from tests.unit.gateway.fakes import make_certificate, new_ec_key
from tradefin.gateway import ConnectionProfile, Endpoint

CA_PEM = make_certificate(new_ec_key(), "tlsca.bank1.example.com").decode()


def profile_document(pem_entry: dict[str, object]) -> dict[str, object]:
    return {
        "name": "tradefin-bank1",
        "version": "1.0.0",
        "client": {"organization": "Bank1MSP"},
        "organizations": {
            "Bank1MSP": {"mspid": "Bank1MSP", "peers": ["peer0.bank1.example.com"], "certificateAuthorities": []}
        },
        "peers": {
            "peer0.bank1.example.com": {
                "url": "grpcs://127.0.0.1:7051",
                "tlsCACerts": pem_entry,
                "grpcOptions": {"ssl-target-name-override": "peer0.bank1.example.com"},
            }
        },
        "channels": {"asia-europe": {"peers": {"peer0.bank1.example.com": {"endorsingPeer": True}}}},
    }


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_profile_files(tmp_path: Path, suffix: str) -> None:
    document = profile_document({"pem": CA_PEM})
    path = tmp_path / f"bank1.{suffix}"
    path.write_text(json.dumps(document) if suffix == "json" else yaml.safe_dump(document))
    profile = ConnectionProfile.load(path)
    assert profile.client_organization == "Bank1MSP"
    assert profile.organization("Bank1MSP").peers == ("peer0.bank1.example.com",)
    assert profile.channels == {"asia-europe": ("peer0.bank1.example.com",)}
    [peer] = profile.peers_of("Bank1MSP")
    assert (peer.address, peer.uses_tls) == ("127.0.0.1:7051", True)
    endpoint = profile.endpoint("peer0.bank1.example.com")
    assert endpoint.address == "127.0.0.1:7051"
    assert endpoint.root_certificates == CA_PEM.encode()
    assert endpoint.server_name_override == "peer0.bank1.example.com"
    assert not endpoint.plaintext


def test_tls_ca_from_a_path_relative_to_the_profile(tmp_path: Path) -> None:
    (tmp_path / "tls").mkdir()
    (tmp_path / "tls" / "ca.pem").write_text(CA_PEM)
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(profile_document({"path": "tls/ca.pem"})))
    assert ConnectionProfile.load(path).peers["peer0.bank1.example.com"].tls_root_certificates == CA_PEM.encode()


def test_plaintext_url_and_mistakes() -> None:
    document = profile_document({})
    document["peers"]["peer0.bank1.example.com"]["url"] = "grpc://localhost:7051"  # type: ignore[index]
    profile = ConnectionProfile.from_mapping(document)
    assert profile.endpoint("peer0.bank1.example.com").plaintext
    with pytest.raises(KeyError, match="no peer"):
        profile.endpoint("peer9")
    with pytest.raises(KeyError, match="no organization"):
        profile.organization("Bank9MSP")
    document["peers"]["peer0.bank1.example.com"]["url"] = "http://x"  # type: ignore[index]
    with pytest.raises(ValueError, match="not grpc"):
        ConnectionProfile.from_mapping(document)


def test_endpoint_refuses_silent_plaintext_and_half_mutual_tls() -> None:
    with pytest.raises(ValueError, match="without_tls"):
        Endpoint("localhost:7051")
    with pytest.raises(ValueError, match="both"):
        Endpoint.tls("localhost:7051", CA_PEM.encode(), client_certificate=b"cert")
    with pytest.raises(ValueError, match="no TLS settings"):
        Endpoint("localhost:7051", root_certificates=b"x", plaintext=True)
    assert Endpoint.without_tls("localhost:7051").client_certificate_hash is None


def test_client_certificate_hash_is_sha256_of_der() -> None:
    key = new_ec_key()
    certificate = make_certificate(key, "User1@bank1.example.com")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    endpoint = Endpoint.tls("localhost:7051", CA_PEM.encode(), client_certificate=certificate, client_key=key_pem)
    from cryptography import x509

    der = x509.load_pem_x509_certificate(certificate).public_bytes(serialization.Encoding.DER)
    digest = crypto_hashes.Hash(crypto_hashes.SHA256())
    digest.update(der)
    assert endpoint.client_certificate_hash == digest.finalize()
