"""Our Python chaincode shim: chaincode as a service over Fabric's ChaincodeSupport protocol.

Import from here: :class:`ChaincodeServer` (the gRPC server), :class:`ChaincodeStub` (one per
transaction), :class:`ClientIdentity`, :class:`KeyEndorsementPolicy`, :class:`ChaincodeResponse`,
the :class:`Chaincode` protocol the contracts layer implements, and the exceptions.
"""

from tradefin.chaincode.shim.errors import (
    AttributeAssertionError,
    ChaincodeInvocationError,
    IdentityError,
    KeyValidationError,
    PeerError,
    ProtocolError,
    ShimError,
    StreamClosedError,
)
from tradefin.chaincode.shim.handler import Chaincode, ConnectionState, PeerConnection, PeerStream
from tradefin.chaincode.shim.identity import ClientIdentity, fabric_distinguished_name
from tradefin.chaincode.shim.keys import create_composite_key, split_composite_key
from tradefin.chaincode.shim.policy import EndorserRole, KeyEndorsementPolicy
from tradefin.chaincode.shim.proposal import SignedProposal
from tradefin.chaincode.shim.response import ChaincodeResponse
from tradefin.chaincode.shim.server import ChaincodeServer, ServerTLS
from tradefin.chaincode.shim.stub import (
    ChaincodeStub,
    KeyModification,
    QueryResultIterator,
    StatePage,
    StateRecord,
)

__all__ = [
    "AttributeAssertionError",
    "Chaincode",
    "ChaincodeInvocationError",
    "ChaincodeResponse",
    "ChaincodeServer",
    "ChaincodeStub",
    "ClientIdentity",
    "ConnectionState",
    "EndorserRole",
    "IdentityError",
    "KeyEndorsementPolicy",
    "KeyModification",
    "KeyValidationError",
    "PeerConnection",
    "PeerError",
    "PeerStream",
    "ProtocolError",
    "QueryResultIterator",
    "ServerTLS",
    "ShimError",
    "SignedProposal",
    "StatePage",
    "StateRecord",
    "StreamClosedError",
    "create_composite_key",
    "fabric_distinguished_name",
    "split_composite_key",
]
