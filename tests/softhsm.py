"""A SoftHSM token for the HSM signer's tests (unit and integration): one per test process.

SoftHSM reads its configuration (``SOFTHSM2_CONF``) when the PKCS#11 library is first initialised, which
python-pkcs11 does once per process: so every test that needs a token shares this one, created on
first use in a temporary folder. The ``softhsm2`` Debian package is installed when missing (as root),
as the docker runtime installs its engine.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

TOKEN_LABEL = "tradefin-tests"
PIN = "246810"
SO_PIN = "13579111"
_LIBRARY_PATTERNS = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/*/softhsm/libsofthsm2.so", "/usr/lib*/libsofthsm2.so")


@dataclass(frozen=True)
class SoftHsmToken:
    library: str
    label: str
    pin: str


_tokens: list[SoftHsmToken] = []  # at most one
_lock = threading.Lock()


def softhsm_token() -> SoftHsmToken:
    """The test process's token (initialised, empty of keys but those the tests make)."""
    with _lock:
        if not _tokens:
            _tokens.append(_new_token())
        return _tokens[0]


def _new_token() -> SoftHsmToken:
    from tradefin.network.docker_engine import apt_install

    utility = apt_install("softhsm2", "softhsm2-util")
    libraries = [path for pattern in _LIBRARY_PATTERNS for path in sorted(glob.glob(pattern))]
    if not libraries:
        raise RuntimeError("softhsm2 is installed but libsofthsm2.so was not found")
    folder = tempfile.mkdtemp(prefix="tradefin-softhsm-")
    atexit.register(shutil.rmtree, folder, True)
    os.mkdir(os.path.join(folder, "tokens"))
    configuration = os.path.join(folder, "softhsm2.conf")
    with open(configuration, "w", encoding="utf-8") as file:
        file.write(f"directories.tokendir = {folder}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = configuration  # before the library is first loaded in this process
    subprocess.run(
        [utility, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", PIN, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
    )
    return SoftHsmToken(libraries[0], TOKEN_LABEL, PIN)


_GENERATE = """
import sys
import pkcs11
from pkcs11 import Attribute, KeyType
from pkcs11.util.ec import encode_named_curve_parameters

library, label, pin, key_label, key_id, curve = sys.argv[1:]
with pkcs11.lib(library).get_token(token_label=label).open(rw=True, user_pin=pin) as session:
    parameters = session.create_domain_parameters(
        KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(curve)}, local=True
    )
    public, _ = parameters.generate_keypair(store=True, label=key_label, id=bytes.fromhex(key_id))
    sys.stdout.write(public[Attribute.EC_POINT].hex())
"""


def new_token_key(label: str, key_id: bytes, curve: str = "secp256r1") -> ec.EllipticCurvePublicKey:
    """Generate an EC key pair inside the token (the private half never leaves it); its public key.

    In a process of its own: PKCS#11 logs a process in once per token and a logout ends all its sessions,
    so logging in here would clash with the signers under test."""
    import sys

    from asn1crypto.core import OctetString  # type: ignore[import-untyped]

    token = softhsm_token()
    made = subprocess.run(
        [sys.executable, "-c", _GENERATE, token.library, token.label, token.pin, label, key_id.hex(), curve],
        check=True,
        capture_output=True,
        text=True,
    )
    named = {"secp256r1": ec.SECP256R1(), "secp384r1": ec.SECP384R1()}[curve]
    return ec.EllipticCurvePublicKey.from_encoded_point(named, OctetString.load(bytes.fromhex(made.stdout)).native)
