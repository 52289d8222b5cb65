"""Crypto material: cryptogen for the organisations, and a small TLS CA for the chaincode servers."""

from __future__ import annotations

import datetime
import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import NetworkError
from .fabric import FabricInstallation
from .layout import Layout
from .ports import HOST
from .processes import replaced_directory

LOOPBACK_SANS = ["localhost", HOST]


class CryptoError(NetworkError):
    """Generating crypto material failed."""


def crypto_config(layout: Layout) -> dict[str, object]:
    """The cryptogen input: one orderer org, one peer org per bank, NodeOUs on, loopback SANs."""
    spec = layout.spec
    return {
        "OrdererOrgs": [
            {
                "Name": spec.orderer.msp_id.removesuffix("MSP") or spec.orderer.msp_id,
                "Domain": spec.orderer.domain,
                "EnableNodeOUs": True,
                "Specs": [{"Hostname": name, "SANS": LOOPBACK_SANS} for name in spec.orderer.node_names()],
            }
        ],
        "PeerOrgs": [
            {
                "Name": bank.msp_id.removesuffix("MSP") or bank.msp_id,
                "Domain": bank.domain,
                "EnableNodeOUs": True,
                "Template": {"Count": bank.peers, "SANS": LOOPBACK_SANS},
                "Users": {"Count": 1},
            }
            for bank in spec.banks
        ],
    }


def generate_org_crypto(layout: Layout, fabric: FabricInstallation) -> None:
    """Run cryptogen once; existing material is kept (a restart must not change identities)."""
    if layout.crypto.exists():
        return
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.crypto_config.write_text(yaml.safe_dump(crypto_config(layout), sort_keys=False))
    with replaced_directory(layout.crypto) as staging:
        cmd = [str(fabric.program("cryptogen")), "generate", "--config", str(layout.crypto_config),
               "--output", str(staging)]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise CryptoError(f"cryptogen failed: {(result.stderr or result.stdout).strip()}")


# --- chaincode server TLS ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChaincodeTls:
    """PEM files for the chaincode servers' TLS (server certs per bank, one client cert for peers)."""

    ca_cert: Path
    client_cert: Path
    client_key: Path
    directory: Path

    def server_cert(self, bank: str) -> Path:
        return self.directory / f"{bank}-server.crt"

    def server_key(self, bank: str) -> Path:
        return self.directory / f"{bank}-server.key"


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fabric-tradefin chaincode"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _certificate(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    """A certificate of ``key`` valid from five minutes ago for ten years (extensions still to add)."""
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
    )


def _issue(ca_key: ec.EllipticCurvePrivateKey, ca_name: x509.Name, common_name: str,
           usage: x509.ObjectIdentifier, sans: list[str]) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for san in sans:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(san)))
        except ValueError:
            names.append(x509.DNSName(san))
    builder = (
        _certificate(_name(common_name), ca_name, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def chaincode_tls(layout: Layout) -> ChaincodeTls:
    """Create (once) the chaincode TLS CA, a server certificate per bank and the peers' client cert."""
    directory = layout.chaincode_tls
    tls = ChaincodeTls(directory / "ca.crt", directory / "peer-client.crt", directory / "peer-client.key",
                       directory)
    if all(tls.server_cert(b.name).exists() for b in layout.spec.banks) and tls.client_key.exists():
        return tls
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("fabric-tradefin chaincode TLS CA")
    ca_cert = (
        _certificate(ca_name, ca_name, ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    tls.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for bank in layout.spec.banks:
        key, cert = _issue(ca_key, ca_name, f"chaincode.{bank.domain}", ExtendedKeyUsageOID.SERVER_AUTH,
                           [*LOOPBACK_SANS, f"chaincode.{bank.domain}"])
        _write_key(tls.server_key(bank.name), key)
        tls.server_cert(bank.name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key, cert = _issue(ca_key, ca_name, "peer-client", ExtendedKeyUsageOID.CLIENT_AUTH, [])
    _write_key(tls.client_key, key)
    tls.client_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return tls
