"""Client identities: an MSP id plus an X.509 certificate, and the MSP folder loader.

The *creator* is what Fabric puts in every signature header and request: the bytes of
``msp.SerializedIdentity{mspid, id_bytes = PEM certificate}``. It is serialised once per identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed25519
from fabric_protos.msp import identities_pb2

__all__ = ["X509Identity", "load_msp_identity", "msp_signcert_path"]


@dataclass(frozen=True, slots=True)
class X509Identity:
    """An X.509 identity of an MSP member (client, admin, peer...).

    Attributes:
        msp_id: the MSP id of the member's organisation, e.g. ``"Bank1MSP"``.
        credentials: the PEM-encoded X.509 certificate.
        creator: the serialised ``msp.SerializedIdentity`` (computed once).
    """

    msp_id: str
    credentials: bytes
    creator: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.msp_id:
            raise ValueError("an identity needs an MSP id")
        self.certificate  # noqa: B018 -- parse now so a bad certificate fails at construction
        creator = identities_pb2.SerializedIdentity(mspid=self.msp_id, id_bytes=self.credentials)
        object.__setattr__(self, "creator", creator.SerializeToString())

    @property
    def certificate(self) -> x509.Certificate:
        """The parsed X.509 certificate."""
        try:
            return x509.load_pem_x509_certificate(self.credentials)
        except ValueError as error:
            raise ValueError(f"identity of {self.msp_id}: not a PEM X.509 certificate ({error})") from None

    @property
    def uses_ed25519(self) -> bool:
        """Whether the certificate holds an Ed25519 key (such identities sign with hash NONE)."""
        return isinstance(self.certificate.public_key(), ed25519.Ed25519PublicKey)


def msp_signcert_path(msp_dir: str | Path) -> Path:
    """The signing certificate of an MSP folder written by cryptogen or Fabric CA (``signcerts/*.pem``)."""
    signcerts = Path(msp_dir) / "signcerts"
    candidates = sorted(signcerts.glob("*.pem"))
    if len(candidates) != 1:
        raise ValueError(f"{signcerts}: expected exactly one certificate (*.pem), found {len(candidates)}")
    return candidates[0]


def load_msp_identity(msp_dir: str | Path, msp_id: str) -> X509Identity:
    """Load the identity of an MSP folder (``signcerts/`` and ``keystore/``, as cryptogen and Fabric CA write).

    The folder does not say which MSP it belongs to, so ``msp_id`` is required.
    """
    return X509Identity(msp_id, msp_signcert_path(msp_dir).read_bytes())
