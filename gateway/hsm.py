"""Signing with a key that never leaves a hardware security module, through PKCS#11.

Needs the ``hsm`` extra (``pip install 'fabric-tradefin[hsm]'``: python-pkcs11) and the vendor's PKCS#11
library (``libsofthsm2.so`` for SoftHSM, the HSM's own for a real one)::

    from tradefin.gateway.hsm import HsmSigner

    with HsmSigner("/usr/lib/softhsm/libsofthsm2.so", token_label="bank1", pin=pin, key_label="treasury") as signer:
        with connect(endpoint, identity, signer) as gateway:
            ...

The signer opens one session on the token, logs in with the user PIN and finds the private key (by
``CKA_ID`` -- the official clients' "identifier", often the certificate's subject key identifier -- or by
``CKA_LABEL``) when it is created, so a wrong library, token, PIN or key fails there, not at the first
transaction. Each call signs the gateway's digest with ``CKM_ECDSA`` (P-256 or P-384) and returns the
low-S DER signature Fabric requires. PKCS#11 sessions are not for concurrent use: calls are serialised,
so one signer serves any number of threads; in asyncio, give ``aio.connect`` an async wrapper
(``lambda digest: asyncio.to_thread(signer, digest)``) if the HSM is slow.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from tradefin.gateway.signers import ecdsa_raw_to_low_s_der

__all__ = ["HsmSigner"]

_CURVES: dict[str, ec.EllipticCurve] = {"secp256r1": ec.SECP256R1(), "secp384r1": ec.SECP384R1()}
_DIGEST_LENGTHS = (32, 48, 64)


def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError:
        raise ImportError("HsmSigner needs python-pkcs11: pip install 'fabric-tradefin[hsm]'") from None
    return pkcs11


class _Login:
    """A token's login, shared by the signers of this process: PKCS#11 logs an application in once per
    token (a second login is refused) and a logout ends every session's access, so the login lives in a
    session of its own until the last signer using it closes."""

    __slots__ = ("pin_digest", "session", "users")

    def __init__(self, session: Any, pin_digest: bytes) -> None:
        self.session = session
        self.pin_digest = pin_digest
        self.users = 0


_logins: dict[tuple[str, str], _Login] = {}
_logins_lock = threading.Lock()
# A short PIN's plain hash is found by trying every PIN: the one kept to compare keys a MAC with a key of
# this process's own.
_PIN_KEY = secrets.token_bytes(32)


def _log_in(pkcs11: Any, token: Any, where: tuple[str, str], pin: str) -> None:
    pin_digest = hmac.new(_PIN_KEY, pin.encode(), hashlib.sha256).digest()
    with _logins_lock:
        login = _logins.get(where)
        if login is None:
            try:
                session = token.open(user_pin=pin)
            except (pkcs11.exceptions.PinIncorrect, pkcs11.exceptions.PinLenRange):
                raise ValueError(f"the token {where[1]!r} refused the PIN") from None
            except pkcs11.exceptions.PinLocked:
                raise ValueError(f"the token {where[1]!r} has locked its user PIN") from None
            except pkcs11.exceptions.UserAlreadyLoggedIn:
                raise ValueError(f"the token {where[1]!r} is logged in already, outside tradefin") from None
            login = _logins[where] = _Login(session, pin_digest)
        elif not hmac.compare_digest(login.pin_digest, pin_digest):
            raise ValueError(f"the token {where[1]!r} is logged in (by another signer) with another PIN")
        login.users += 1


def _log_out(where: tuple[str, str]) -> None:
    with _logins_lock:
        login = _logins[where]
        login.users -= 1
        if login.users:
            return
        del _logins[where]
    login.session.close()  # logs out


class HsmSigner:
    """A signer (digest -> low-S DER ECDSA signature) whose private key stays in a PKCS#11 token.

    Args:
        library: path of the token vendor's PKCS#11 library.
        token_label: the token's label.
        pin: the user PIN (never logged nor shown). Signers of one token in one process share its login.
        key_id: the key's ``CKA_ID``; or
        key_label: its ``CKA_LABEL`` (give exactly one of the two; it must name exactly one key).

    Raises:
        ValueError: no such library, token or key, more than one key, a key on a curve Fabric does not
            accept, or a PIN the token refuses.
        ImportError: python-pkcs11 is not installed.
    """

    __slots__ = ("_curve", "_key", "_lock", "_public_key", "_session", "_where")

    def __init__(
        self,
        library: str | Path,
        *,
        token_label: str,
        pin: str,
        key_id: bytes | None = None,
        key_label: str | None = None,
    ) -> None:
        if (key_id is None) == (key_label is None):
            raise ValueError("name the key by key_id (CKA_ID) or by key_label (CKA_LABEL), one of the two")
        pkcs11 = _pkcs11()
        from pkcs11 import Attribute, KeyType, ObjectClass

        try:
            token = pkcs11.lib(str(library)).get_token(token_label=token_label)
        except pkcs11.exceptions.NoSuchToken:
            raise ValueError(f"no PKCS#11 token labelled {token_label!r} in {library}") from None
        except RuntimeError as error:  # the library itself could not be loaded
            raise ValueError(f"cannot load the PKCS#11 library {library}: {error}") from None
        where = (str(Path(library).resolve()), token_label)
        _log_in(pkcs11, token, where, pin)
        session = None
        try:
            session = token.open()  # the application's login covers it
            search: dict[Any, Any] = {Attribute.KEY_TYPE: KeyType.EC}
            if key_id is not None:
                search[Attribute.ID] = key_id
                named = f"CKA_ID {key_id.hex()}"
            else:
                search[Attribute.LABEL] = key_label
                named = f"CKA_LABEL {key_label!r}"
            keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, **search}))
            if len(keys) != 1:
                found = "no" if not keys else f"{len(keys)}"
                raise ValueError(f"{found} EC private keys with {named} on the token {token_label!r}: one needed")
            publics = list(session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, **search}))
            if len(publics) != 1:
                raise ValueError(f"the key with {named} has no (or no single) public key object on the token")
            curve, public_key = _public_key(publics[0][Attribute.EC_PARAMS], publics[0][Attribute.EC_POINT])
        except BaseException:
            if session is not None:
                session.close()
            _log_out(where)
            raise
        self._where = where
        self._session: Any = session
        self._key = keys[0]
        self._curve = curve
        self._public_key = public_key
        self._lock = threading.Lock()

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The key's public half, e.g. to have a certificate issued for it."""
        return self._public_key

    def __call__(self, digest: bytes) -> bytes:
        """Sign ``digest`` in the token; return a low-S DER ECDSA signature."""
        if len(digest) not in _DIGEST_LENGTHS:
            raise ValueError(
                f"CKM_ECDSA signs a digest (32, 48 or 64 bytes), got {len(digest)} bytes: connect with a hash "
                "(the default sha256), not hashes.none"
            )
        from pkcs11 import Mechanism

        with self._lock:
            if self._session is None:
                raise ValueError("the HSM signer is closed")
            raw = self._key.sign(digest, mechanism=Mechanism.ECDSA)
        return ecdsa_raw_to_low_s_der(raw, self._curve)

    def close(self) -> None:
        """Close the signer's session (and log out once no other signer of the token is open)."""
        with self._lock:
            session, self._session = self._session, None
        if session is not None:
            try:
                session.close()
            finally:
                _log_out(self._where)  # even when the token failed to close the session

    def __enter__(self) -> HsmSigner:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HsmSigner(curve={self._curve.name}, open={self._session is not None})"


def _public_key(params_der: bytes, point_der: bytes) -> tuple[ec.EllipticCurve, ec.EllipticCurvePublicKey]:
    """The curve and public key of a PKCS#11 EC public key object (CKA_EC_PARAMS, CKA_EC_POINT)."""
    from asn1crypto.core import OctetString  # type: ignore[import-untyped]  # python-pkcs11's dependency
    from asn1crypto.keys import ECDomainParameters  # type: ignore[import-untyped]

    parameters = ECDomainParameters.load(params_der)
    name = parameters.chosen.native if parameters.name == "named" else None
    curve = _CURVES.get(name) if isinstance(name, str) else None
    if curve is None:
        raise ValueError(f"the key is on {name or 'an unnamed curve'}: Fabric accepts P-256 and P-384")
    # CKA_EC_POINT is the uncompressed point DER-wrapped in an OCTET STRING; some tokens give it bare
    bare_length = 1 + 2 * ((curve.key_size + 7) // 8)
    point = point_der if len(point_der) == bare_length else OctetString.load(point_der).native
    return curve, ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
