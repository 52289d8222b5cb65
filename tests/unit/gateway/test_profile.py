"""Connection profiles (JSON and YAML, as the network launcher writes them) and endpoints."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from tests.unit.gateway.fakes import make_certificate, new_ec_key
from tradefin.gateway import ConnectionProfile, Endpoint, X509Identity

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


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("grpcs://127.0.0.1:7051", "is a URL: give host:port ('127.0.0.1:7051')"),
        ("grpc://peer0.bank1:7051", "is a URL: give host:port ('peer0.bank1:7051')"),
        ("localhost:7051 ", "holds blanks"),
        ("local host:7051", "holds blanks"),
    ],
)
def test_an_address_that_is_not_host_port_is_refused_when_the_endpoint_is_made(address: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        Endpoint.tls(address, CA_PEM.encode())
    # gRPC's own target forms stay open
    Endpoint.without_tls("dns:///localhost:7051")


def test_system_roots_are_chosen_explicitly_never_as_a_fallback() -> None:
    with pytest.raises(ValueError, match="tls_with_system_roots"):  # a forgotten CA is an error, as before
        Endpoint("localhost:7051")
    with pytest.raises(ValueError, match="either"):
        Endpoint("localhost:7051", root_certificates=CA_PEM.encode(), system_roots=True)
    with pytest.raises(ValueError, match="no TLS settings"):
        Endpoint("localhost:7051", plaintext=True, system_roots=True)
    endpoint = Endpoint.tls_with_system_roots("peer.example.com:443")
    assert endpoint.system_roots and endpoint.root_certificates is None and not endpoint.plaintext


def test_channel_options_extend_and_override_the_clients_own() -> None:
    from tradefin.gateway._grpc import channel_options

    endpoint = Endpoint.tls(
        "localhost:7051",
        CA_PEM.encode(),
        server_name_override="peer0.bank1.example.com",
        channel_options=(("grpc.keepalive_time_ms", 300_000), ("grpc.primary_user_agent", "bank-app/2")),
    )
    options = dict(channel_options(endpoint))
    assert options["grpc.keepalive_time_ms"] == 300_000  # the endpoint's value wins
    assert options["grpc.primary_user_agent"] == "bank-app/2"
    assert options["grpc.ssl_target_name_override"] == "peer0.bank1.example.com"
    assert options["grpc.max_receive_message_length"] == 100 * 1024 * 1024  # the rest stay
    assert len(channel_options(endpoint)) == len(options)  # each name once
    for bad in [("grpc.keepalive_time_ms",), ("grpc.x", 1.5), (7, 1)]:
        with pytest.raises(ValueError, match="channel option"):
            Endpoint.without_tls("localhost:7051", channel_options=(bad,))  # type: ignore[arg-type]


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


def _key_pem(key: Any) -> bytes:
    pem: bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem


def _write_msp(folder: Path, key: Any, certificate: bytes) -> None:
    (folder / "signcerts").mkdir(parents=True)
    (folder / "keystore").mkdir()
    (folder / "signcerts" / "cert.pem").write_bytes(certificate)
    (folder / "keystore" / "priv_sk").write_bytes(_key_pem(key))


def _verifies(identity: X509Identity, signer: Any) -> bool:
    digest = hashlib.sha256(b"message").digest()
    public_key = identity.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signer(digest), digest, ec.ECDSA(Prehashed(crypto_hashes.SHA256())))
    return True


def test_identities_from_the_crypto_path_the_launcher_writes(tmp_path: Path) -> None:
    keys = {user: new_ec_key() for user in ("User1", "Admin")}
    for user, key in keys.items():
        _write_msp(tmp_path / "users" / f"{user}@bank1.example.com" / "msp", key, make_certificate(key, user))
    document = profile_document({"pem": CA_PEM})
    organization = document["organizations"]["Bank1MSP"]  # type: ignore[index]
    organization["cryptoPath"] = "users/{username}@bank1.example.com/msp"  # relative to the profile's folder
    path = tmp_path / "bank1.yaml"
    path.write_text(yaml.safe_dump(document))
    profile = ConnectionProfile.load(path)

    identity = profile.identity()  # the client's organisation, User1
    assert identity.msp_id == "Bank1MSP"
    assert identity.certificate.subject.rfc4514_string() == "CN=User1"
    assert _verifies(identity, profile.signer())
    admin = profile.identity("Bank1MSP", user="Admin")
    assert admin.certificate.subject.rfc4514_string() == "CN=Admin"
    assert _verifies(admin, profile.signer("Bank1MSP", user="Admin"))
    with pytest.raises(ValueError, match="user 'User9' of Bank1MSP has no MSP folder"):
        profile.identity(user="User9")
    with pytest.raises(KeyError, match="Bank2MSP"):
        profile.identity("Bank2MSP")


def test_identities_given_in_the_profile_itself(tmp_path: Path) -> None:
    user_key, admin_key = new_ec_key(), new_ec_key()
    (tmp_path / "admin.pem").write_bytes(make_certificate(admin_key, "Admin"))
    (tmp_path / "admin_sk").write_bytes(_key_pem(admin_key))
    user_key_pem = _key_pem(user_key).decode()
    document = profile_document({"pem": CA_PEM})
    organization = document["organizations"]["Bank1MSP"]  # type: ignore[index]
    organization["signedCert"] = {"path": "admin.pem"}
    organization["adminPrivateKey"] = {"path": "admin_sk"}
    organization["users"] = {
        "app": {"cert": {"pem": make_certificate(user_key, "app").decode()}, "key": {"pem": user_key_pem}},
        "watcher": {"cert": {"pem": make_certificate(new_ec_key(), "watcher").decode()}},
    }
    path = tmp_path / "bank1.json"
    path.write_text(json.dumps(document))
    profile = ConnectionProfile.load(path)

    assert _verifies(profile.identity(user="app"), profile.signer(user="app"))
    assert _verifies(profile.identity(user="Admin"), profile.signer(user="Admin"))
    assert profile.identity(user="watcher").certificate.subject.rfc4514_string() == "CN=watcher"
    with pytest.raises(ValueError, match="'watcher' of Bank1MSP has no key"):
        profile.signer(user="watcher")
    no_user1 = r"no identity for user 'User1' of Bank1MSP \(no cryptoPath; users given: Admin, app, watcher\)"
    with pytest.raises(ValueError, match=no_user1):
        profile.identity()
    # A user's log line, an error tracker or a traceback showing locals must not dump a key given inline.
    key_body = user_key_pem.splitlines()[1]
    assert key_body not in repr(profile)
    assert key_body not in repr(profile.organizations["Bank1MSP"])


def test_an_endpoint_never_shows_its_client_key() -> None:
    key_pem = _key_pem(new_ec_key())
    endpoint = Endpoint.tls("127.0.0.1:7051", CA_PEM.encode(), client_certificate=CA_PEM.encode(), client_key=key_pem)
    assert key_pem.splitlines()[1].decode() not in repr(endpoint)
    assert "127.0.0.1:7051" in repr(endpoint)


def test_identity_entries_that_are_not_pem_or_path_are_refused() -> None:
    document = profile_document({"pem": CA_PEM})
    document["organizations"]["Bank1MSP"]["users"] = {"app": {"cert": "cert.pem"}}  # type: ignore[index]
    with pytest.raises(ValueError, match=r"Bank1MSP.users.app.cert: expected \{pem: ...\} or \{path: ...\}"):
        ConnectionProfile.from_mapping(document)
