"""Issuing role-bearing users with a bank CA made here (no cryptogen), and the ``identity issue`` command."""

from __future__ import annotations

import base64
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tradefin.cli import main
from tradefin.network import network as network_module
from tradefin.network.identities import IdentityError, check_user_name, issue_identity
from tradefin.network.layout import Layout
from tradefin.network.spec import MAX_COMMON_NAME_LENGTH, load_spec


def network_workdir(root: Path) -> Layout:
    """A working directory as `network up` leaves it, as far as issuing identities goes: state.json with the
    default spec and each bank's CA and User1 MSP (the template of a new user's folder)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "state.json").write_text(json.dumps({"spec_source": network_module._default_spec_text(),
                                                 "orderers": "raft1", "runtime": "native", "port_base": 29000}))
    layout = Layout(root, load_spec())
    now = datetime.datetime.now(datetime.UTC)
    for bank in layout.spec.banks:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"ca.{bank.domain}")])
        ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
              .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
              .not_valid_after(now + datetime.timedelta(days=365))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
              .sign(key, hashes.SHA256()))
        pem = ca.public_bytes(serialization.Encoding.PEM)
        layout.bank_ca(bank).parent.mkdir(parents=True)
        layout.bank_ca(bank).write_bytes(pem)
        (layout.bank_ca(bank).parent / "priv_sk").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        template = layout.bank_user(bank, "User1") / "msp"
        for folder in ("cacerts", "tlscacerts"):
            (template / folder).mkdir(parents=True)
            (template / folder / "ca.pem").write_bytes(pem)
        (template / "config.yaml").write_text("NodeOUs:\n  Enable: true\n")
    return layout


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return network_workdir(tmp_path / "wd")


def _users(layout: Layout) -> set[str]:
    return {path.name for path in (layout.bank_org(layout.spec.bank("bank1")) / "users").iterdir()}


def test_a_user_name_as_long_as_a_common_name_allows_is_issued_one_more_is_refused(layout: Layout) -> None:
    # One character more raised cryptography's ValueError ('Attribute's length must be >= 1 and <= 64'), a
    # traceback from `tradefin identity issue`.
    bank = layout.spec.bank("bank1")
    longest = MAX_COMMON_NAME_LENGTH - len(f"@{bank.domain}")
    issued = issue_identity(layout, bank, "u" * longest, "treasury")
    certificate = x509.load_pem_x509_certificate(next((issued.msp_dir / "signcerts").iterdir()).read_bytes())
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == issued.name
    assert len(issued.name) == MAX_COMMON_NAME_LENGTH
    with pytest.raises(IdentityError, match=f"more than {longest}"):
        issue_identity(layout, bank, "v" * (longest + 1), "treasury")
    assert f"{'v' * (longest + 1)}@{bank.domain}" not in _users(layout)


@pytest.mark.parametrize("user", ["", "a/b", "a@b", "a\\b", ".hidden", "..", "a b", "a\tb", "a\nb", "a\x7fb",
                                  "a\x1bb"])
def test_a_user_name_that_is_no_plain_name_is_refused(layout: Layout, user: str) -> None:
    # A tab, a line break or an escape character made a folder and a certificate common name of them.
    with pytest.raises(IdentityError, match="must be a plain name"):
        check_user_name(user)
    with pytest.raises(IdentityError, match="must be a plain name"):
        issue_identity(layout, layout.spec.bank("bank1"), user, "treasury")
    assert _users(layout) == {f"User1@{layout.spec.bank('bank1').domain}"}


@pytest.mark.parametrize("user", ["treasury", "approver2", "ops.desk_1", "J-Doe", "zoë"])
def test_plain_user_names_are_accepted(layout: Layout, user: str) -> None:
    assert issue_identity(layout, layout.spec.bank("bank1"), user, "treasury").name.startswith(f"{user}@")


def _issue(workdir: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--workdir", str(workdir), "identity", "issue", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output  # no traceback
    return result


def test_identity_issue_refuses_a_user_too_long_for_the_banks_domain_naming_user(layout: Layout) -> None:
    bank = layout.spec.bank("bank1")
    longest = MAX_COMMON_NAME_LENGTH - len(f"@{bank.domain}")
    result = _issue(layout.root, "--bank", "bank1", "--user", "u" * (longest + 1), "--role", "treasury")
    assert result.exit_code == 2
    assert "Invalid value for --user:" in result.output.replace("'", "") and f"more than {longest}" in result.output
    assert _users(layout) == {f"User1@{bank.domain}"}
    result = _issue(layout.root, "--bank", "bank1", "--user", "u" * longest, "--role", "treasury")
    assert result.exit_code == 0 and json.loads(result.output)["identity"] == f"{'u' * longest}@{bank.domain}"


@pytest.mark.parametrize("user", ["", "a b", "a\nb", "../x", "x\ty"])
def test_identity_issue_refuses_a_user_that_is_no_plain_name_before_looking_for_a_network(tmp_path: Path,
                                                                                          user: str) -> None:
    result = _issue(tmp_path / "none", "--bank", "bank1", "--user", user, "--role", "treasury")
    assert result.exit_code == 2
    assert "Invalid value for --user:" in result.output.replace("'", "") and "must be a plain name" in result.output
    assert not (tmp_path / "none").exists()


def test_identity_issue_names_a_very_long_user_in_one_short_line(layout: Layout) -> None:
    result = _issue(layout.root, "--bank", "bank1", "--user", "x" * 10000, "--role", "treasury")
    assert result.exit_code == 2
    error = result.output.splitlines()[-1]
    assert "is 10000 characters long" in error and len(error) < 300


@pytest.mark.parametrize("extra", [{"role": "issuer"}, {"bic": "EUCBDEFF"}, {"hf.EnrollmentID": "admin@bank2"},
                                   {"hf.Registrar.Roles": "*"}, {"": "v"}])
def test_an_extra_attribute_cannot_replace_what_the_issuer_sets(layout: Layout, extra: dict[str, str]) -> None:
    # --attr role=<anything> replaced the checked role, bic=<another bank's> the bank's BIC, in the certificate
    with pytest.raises(IdentityError):
        issue_identity(layout, layout.spec.bank("bank1"), "u1", "treasury", extra)
    assert _users(layout) == {f"User1@{layout.spec.bank('bank1').domain}"}


@pytest.mark.parametrize("args, option, message", [
    (["--role", ""], "--role", "role '' is not one of issuer"),
    (["--role", "admin"], "--role", "role 'admin' is not one of issuer"),
    (["--role", "treasury", "--attr", "noequals"], "--attr", "'noequals' must be name=value"),
    (["--role", "treasury", "--attr", "=v"], "--attr", "'=v' must be name=value"),
    (["--role", "treasury", "--attr", "role=issuer"], "--attr", "attribute 'role' is set by the issuer"),
    (["--role", "treasury", "--attr", "bic=EUCBDEFF"], "--attr", "attribute 'bic' is set by the issuer"),
    (["--role", "treasury", "--attr", "a=1", "--attr", "a=2"], "--attr", "attribute 'a' is given twice"),
])
def test_identity_issue_checks_role_and_attributes_before_looking_for_a_network(
        tmp_path: Path, args: list[str], option: str, message: str) -> None:
    # A bad --role or --attr was refused once the network was read (exit 1), role=/bic= were written into the
    # certificate, and a repeated name kept its last value.
    result = _issue(tmp_path / "none", "--bank", "bank1", "--user", "u1", *args)
    assert result.exit_code == 2
    assert f"Invalid value for {option}: {message}" in result.output.replace(f"'{option}'", option), result.output
    assert not (tmp_path / "none").exists()


def test_identity_issue_names_an_unknown_bank(layout: Layout) -> None:
    result = _issue(layout.root, "--bank", "bank9", "--user", "u1", "--role", "treasury")
    assert result.exit_code == 2
    assert "Invalid value for --bank: unknown bank 'bank9' (banks: bank1, bank2, bank3)" in result.output.replace(
        "'--bank'", "--bank")


def test_identity_issue_writes_extra_attributes_beside_its_own(layout: Layout) -> None:
    result = _issue(layout.root, "--bank", "bank1", "--user", "u1", "--role", "treasury", "--attr",
                    "lei=5493001KJTIIGC8Y1R12", "--attr", "desk=")
    assert result.exit_code == 0, result.output
    attributes = json.loads(result.output)["attributes"]
    assert attributes["role"] == "treasury" and attributes["bic"] == layout.spec.bank("bank1").bic
    assert attributes["lei"] == "5493001KJTIIGC8Y1R12" and attributes["desk"] == ""


def test_issuing_a_user_again_with_what_it_carries_returns_it(layout: Layout) -> None:
    bank = layout.spec.bank("bank1")
    first = issue_identity(layout, bank, "u1", "treasury", {"lei": "5493001KJTIIGC8Y1R12"})
    again = issue_identity(layout, bank, "u1", "treasury", {"lei": "5493001KJTIIGC8Y1R12"})
    assert again.attributes == first.attributes and again.role == "treasury"
    assert issue_identity(layout, bank, "u1", "treasury").attributes["lei"] == "5493001KJTIIGC8Y1R12"


@pytest.mark.parametrize("role, extra, found", [("auditor", {}, "role='treasury'"),
                                                ("treasury", {"lei": "OTHER"}, "lei='5493001KJTIIGC8Y1R12'"),
                                                ("treasury", {"desk": "fx"}, "no desk")])
def test_issuing_a_user_again_with_another_role_or_attributes_is_refused(layout: Layout, role: str,
                                                                          extra: dict[str, str], found: str) -> None:
    # It returned the existing identity reported with the requested role and attributes: `identity issue --user
    # treasury --role auditor` printed role auditor for a certificate that says treasury.
    bank = layout.spec.bank("bank1")
    issue_identity(layout, bank, "u1", "treasury", {"lei": "5493001KJTIIGC8Y1R12"})
    with pytest.raises(IdentityError, match=f"u1@{bank.domain} was issued before, with {found}"):
        issue_identity(layout, bank, "u1", role, extra)


def test_a_user_cryptogen_made_is_not_reissued_with_a_role(layout: Layout) -> None:
    # cryptogen's User1 and Admin carry no attributes; 'identity issue --user User1 --role issuer' reported
    # role issuer for it
    bank = layout.spec.bank("bank1")
    issued = issue_identity(layout, bank, "plain", "treasury")
    certificate = next((issued.msp_dir / "signcerts").glob("*.pem"))
    cert = x509.load_pem_x509_certificate(certificate.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    bare = (x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.issuer).public_key(key.public_key())
            .serial_number(2).not_valid_before(cert.not_valid_before_utc).not_valid_after(cert.not_valid_after_utc)
            .sign(key, hashes.SHA256()))
    certificate.write_bytes(bare.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(IdentityError, match="carries no attributes"):
        issue_identity(layout, bank, "plain", "issuer")


def _public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_identity_issue_certifies_a_key_held_elsewhere(layout: Layout, tmp_path: Path) -> None:
    # The bank's HSM made the key: the CA certifies its public half (a PEM public key, or a certificate
    # request the key signed) and the MSP folder gets no private key.
    held = ec.generate_private_key(ec.SECP384R1())
    (tmp_path / "hsm.pub").write_bytes(_public_pem(held))
    result = _issue(layout.root, "--bank", "bank1", "--user", "hsm-desk", "--role", "treasury",
                    "--public-key", str(tmp_path / "hsm.pub"))
    assert result.exit_code == 0, result.output
    msp = Path(json.loads(result.output)["msp_dir"])
    certificate = x509.load_pem_x509_certificate(next((msp / "signcerts").iterdir()).read_bytes())
    assert certificate.public_key() == held.public_key()
    assert list((msp / "keystore").iterdir()) == []

    other = ec.generate_private_key(ec.SECP256R1())
    request = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hsm-2")]))
               .sign(other, hashes.SHA256()))
    (tmp_path / "hsm.csr").write_bytes(request.public_bytes(serialization.Encoding.PEM))
    result = _issue(layout.root, "--bank", "bank1", "--user", "hsm-desk-2", "--role", "treasury",
                    "--public-key", str(tmp_path / "hsm.csr"))
    assert result.exit_code == 0, result.output
    msp = Path(json.loads(result.output)["msp_dir"])
    assert x509.load_pem_x509_certificate(next((msp / "signcerts").iterdir()).read_bytes()).public_key() == (
        other.public_key()
    )

    # the same again is the identity as it stands; another key under an issued name is refused
    again = _issue(layout.root, "--bank", "bank1", "--user", "hsm-desk", "--role", "treasury",
                   "--public-key", str(tmp_path / "hsm.pub"))
    assert again.exit_code == 0, again.output
    for user in ("hsm-desk", "u-made-here"):
        if user == "u-made-here":
            assert _issue(layout.root, "--bank", "bank1", "--user", user, "--role", "treasury").exit_code == 0
        refused = _issue(layout.root, "--bank", "bank1", "--user", user, "--role", "treasury",
                         "--public-key", str(tmp_path / "hsm.csr"))
        assert refused.exit_code != 0 and "for another key" in " ".join(refused.output.split()), refused.output


def test_identity_issue_refuses_a_public_key_fabric_would_not_take(layout: Layout, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "rsa.pub").write_bytes(rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (tmp_path / "ed.pub").write_bytes(ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    (tmp_path / "k1.pub").write_bytes(_public_pem(ec.generate_private_key(ec.SECP256K1())))
    (tmp_path / "junk.pem").write_text("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n")
    for name, match in [("rsa.pub", "P-256 or P-384"), ("ed.pub", "P-256 or P-384"), ("k1.pub", "P-256 or P-384"),
                        ("junk.pem", "no PEM public key")]:
        result = _issue(layout.root, "--bank", "bank1", "--user", f"bad-{name[:3]}", "--role", "treasury",
                        "--public-key", str(tmp_path / name))
        assert result.exit_code == 2 and match in " ".join(result.output.split()), result.output
    forged = x509.load_pem_x509_csr(
        (x509.CertificateSigningRequestBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
         .sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())).public_bytes(serialization.Encoding.PEM)
    )
    tampered = bytearray(forged.public_bytes(serialization.Encoding.DER))
    tampered[-5] ^= 0x01  # the signature no longer matches
    (tmp_path / "forged.csr").write_bytes(
        b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(tampered))
        + b"-----END CERTIFICATE REQUEST-----\n"
    )
    result = _issue(layout.root, "--bank", "bank1", "--user", "forged", "--role", "treasury",
                    "--public-key", str(tmp_path / "forged.csr"))
    assert result.exit_code == 2 and "does not verify" in " ".join(result.output.split()), result.output
    both = _issue(layout.root, "--bank", "bank1", "--user", "both", "--role", "treasury", "--key", "ecdsa-p384",
                  "--public-key", str(tmp_path / "rsa.pub"))
    assert both.exit_code == 2 and "not both" in " ".join(both.output.split())
    assert {f"{u}@{layout.spec.bank('bank1').domain}" for u in ("forged", "both", "bad-rsa")} & _users(layout) == set()
