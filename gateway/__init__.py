"""Fabric Gateway client (generic: knows nothing of trade finance or of the launcher).

Blocking API here, the asyncio twin in :mod:`tradefin.gateway.aio` (same names, coroutines)::

    from tradefin.gateway import Endpoint, connect, load_msp_identity, load_msp_signer

    identity = load_msp_identity("users/User1@bank1/msp", "Bank1MSP")
    endpoint = Endpoint.tls("localhost:7051", root_certificates=tls_ca_pem)
    with connect(endpoint, identity, load_msp_signer("users/User1@bank1/msp")) as gateway:
        contract = gateway.get_network("asia-europe").get_contract("tradefin")
        contract.submit("kv:Put", ["greeting", "hello"])
        assert contract.evaluate("kv:Get", ["greeting"]) == b"hello"

Shared types (identities, signers, hashes, options, errors, events, checkpointers) live here and are
used by both front ends. The protocol logic is written once, sans-IO (see ``_flow``).
"""

from tradefin.gateway import hashes
from tradefin.gateway.block_events import (
    Block,
    BlockAndPrivateData,
    BlockTransaction,
    FilteredBlock,
    FilteredTransaction,
    PrivateMetadataWrite,
    PrivateWrite,
)
from tradefin.gateway.cancellation import Cancellation
from tradefin.gateway.chaincode_events import ChaincodeEvent
from tradefin.gateway.checkpointers import (
    AsyncFileCheckpointer,
    Checkpoint,
    Checkpointer,
    FileCheckpointer,
    InMemoryCheckpointer,
)
from tradefin.gateway.endpoint import Endpoint
from tradefin.gateway.errors import (
    BlockEventsError,
    CommitError,
    CommitStatusError,
    EndorseError,
    ErrorDetail,
    EvaluateError,
    GatewayError,
    GrpcCode,
    SigningError,
    SubmitError,
    TransactionError,
    TransactionInDoubtError,
)
from tradefin.gateway.hashes import Hash
from tradefin.gateway.identity import X509Identity, load_msp_identity
from tradefin.gateway.options import ResubmitPolicy, Timeouts
from tradefin.gateway.profile import ConnectionProfile, OrganizationProfile, PeerProfile, UserProfile
from tradefin.gateway.resolution import Outcome, Resolution
from tradefin.gateway.signers import (
    PrivateKey,
    Signer,
    ecdsa_raw_to_low_s_der,
    load_msp_signer,
    load_private_key,
    new_private_key_signer,
)
from tradefin.gateway.status import Status, ValidationCode
from tradefin.gateway.sync import (
    BlockEventsRequest,
    ChaincodeEventsRequest,
    Commit,
    Contract,
    EventStream,
    Gateway,
    Network,
    Proposal,
    SubmittedTransaction,
    Transaction,
    connect,
)

__all__ = [
    "AsyncFileCheckpointer",
    "Block",
    "BlockAndPrivateData",
    "BlockEventsError",
    "BlockEventsRequest",
    "BlockTransaction",
    "Cancellation",
    "ChaincodeEvent",
    "ChaincodeEventsRequest",
    "Checkpoint",
    "Checkpointer",
    "Commit",
    "CommitError",
    "CommitStatusError",
    "ConnectionProfile",
    "Contract",
    "EndorseError",
    "Endpoint",
    "ErrorDetail",
    "EvaluateError",
    "EventStream",
    "FileCheckpointer",
    "FilteredBlock",
    "FilteredTransaction",
    "Gateway",
    "GatewayError",
    "GrpcCode",
    "Hash",
    "InMemoryCheckpointer",
    "Network",
    "OrganizationProfile",
    "Outcome",
    "PeerProfile",
    "PrivateKey",
    "PrivateMetadataWrite",
    "PrivateWrite",
    "Proposal",
    "Resolution",
    "ResubmitPolicy",
    "Signer",
    "SigningError",
    "Status",
    "SubmitError",
    "SubmittedTransaction",
    "Timeouts",
    "Transaction",
    "TransactionError",
    "TransactionInDoubtError",
    "UserProfile",
    "ValidationCode",
    "X509Identity",
    "connect",
    "ecdsa_raw_to_low_s_der",
    "hashes",
    "load_msp_identity",
    "load_msp_signer",
    "load_private_key",
    "new_private_key_signer",
]
