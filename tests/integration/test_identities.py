"""Role-bearing identities of every key type, issued by a bank's CA, used through the gateway."""

from __future__ import annotations

import json
import time

import pytest

from tradefin.gateway import EndorseError, Hash, connect, hashes, load_msp_identity, load_msp_signer
from tradefin.network.identities import issue_identity
from tradefin.network.network import FabricNetwork


@pytest.mark.parametrize("key_type, hash_", [("ecdsa-p256", hashes.sha256), ("ecdsa-p384", hashes.sha256),
                                             ("ed25519", hashes.none)])
def test_identity_of_each_key_type_submits_and_carries_its_role(
    fabric_network: FabricNetwork, key_type: str, hash_: Hash
) -> None:
    bank = fabric_network.spec.bank("bank1")
    user = f"it-{key_type}"
    issued = issue_identity(fabric_network.layout, bank, user, "treasury", {"lei": "5493001KJTIIGC8Y1R12"}, key_type)
    with connect(fabric_network.endpoint(bank), load_msp_identity(issued.msp_dir, bank.msp_id),
                 load_msp_signer(issued.msp_dir), hash=hash_) as gateway:
        contract = gateway.get_network("asia-europe").get_contract("tradefin")
        key = f"{user}-{time.time_ns()}"
        assert contract.submit("kv:Put", [key, key_type]) == key_type.encode()
        seen = json.loads(contract.evaluate("kv:Whoami"))
    assert seen["msp_id"] == "Bank1MSP"
    assert seen["attributes"]["role"] == "treasury"
    assert seen["attributes"]["bic"] == bank.bic
    assert seen["attributes"]["lei"] == "5493001KJTIIGC8Y1R12"


def test_a_p384_signature_over_sha384_is_refused_by_a_default_msp(fabric_network: FabricNetwork) -> None:
    bank = fabric_network.spec.bank("bank1")
    issued = issue_identity(fabric_network.layout, bank, "it-p384-sha384", "treasury", key_type="ecdsa-p384")
    with connect(fabric_network.endpoint(bank), load_msp_identity(issued.msp_dir, bank.msp_id),
                 load_msp_signer(issued.msp_dir), hash=hashes.sha384) as gateway:
        contract = gateway.get_network("asia-europe").get_contract("tradefin")
        with pytest.raises(EndorseError) as refused:
            contract.submit("kv:Put", ["never", "written"])
    assert any("access denied" in detail.message for detail in refused.value.details)


def test_an_identity_whose_key_stays_in_an_hsm_submits(fabric_network: FabricNetwork) -> None:
    # The bank's flow: the key is made in the HSM, the CA certifies its public half, the client signs in
    # the token (SoftHSM here; PKCS#11 either way). Nothing of the private key exists outside the token.
    from tests.softhsm import new_token_key, softhsm_token
    from tradefin.gateway.hsm import HsmSigner

    bank = fabric_network.spec.bank("bank1")
    token = softhsm_token()
    public_key = new_token_key("it-hsm-treasury", b"HSM-IT-1")
    issued = issue_identity(fabric_network.layout, bank, "it-hsm", "treasury", public_key=public_key)
    assert list((issued.msp_dir / "keystore").iterdir()) == []
    identity = load_msp_identity(issued.msp_dir, bank.msp_id)
    with (
        HsmSigner(token.library, token_label=token.label, pin=token.pin, key_id=b"HSM-IT-1") as signer,
        connect(fabric_network.endpoint(bank), identity, signer) as gateway,
    ):
        contract = gateway.get_network("asia-europe").get_contract("tradefin")
        key = f"it-hsm-{time.time_ns()}"
        assert contract.submit("kv:Put", [key, "signed in the token"]) == b"signed in the token"
        assert contract.evaluate("kv:Get", [key]) == b"signed in the token"
        seen = json.loads(contract.evaluate("kv:Whoami"))
    assert seen["attributes"]["role"] == "treasury"
    assert seen["msp_id"] == "Bank1MSP"
