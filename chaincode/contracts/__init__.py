"""The project's contracts and the registry the chaincode server runs by default."""

from __future__ import annotations

from tradefin.chaincode.contract import Contract

__all__ = ["default_contracts"]


def default_contracts() -> list[Contract]:
    """New instances of the contracts ``python -m tradefin.chaincode serve`` runs by default.

    The first one is the default contract (it answers function names without a ``contract:``
    prefix). Add a contract here to ship it in the chaincode.
    """
    from tradefin.chaincode.contracts.kv import KvContract

    return [KvContract()]
