"""Networks: one Fabric channel as seen through the gateway (contracts, events, commit status by tx id)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tradefin.gateway._flow import Context
from tradefin.gateway.block_events import new_block_events_request_data
from tradefin.gateway.chaincode_events import EventsRequestData, new_chaincode_events_request_data
from tradefin.gateway.commit import CommitData, new_commit_data

if TYPE_CHECKING:
    from tradefin.gateway.checkpointers import Checkpoint

__all__ = ["NetworkBase"]


class NetworkBase:
    """A channel: the place contracts are looked up and events are listened to."""

    __slots__ = ("_client", "_context", "_name")

    def __init__(self, client: object, context: Context, name: str) -> None:
        if not name:
            raise ValueError("a network needs a channel name")
        self._client = client
        self._context = context
        self._name = name

    @property
    def name(self) -> str:
        """The channel name."""
        return self._name

    def _chaincode_events_data(
        self, chaincode: str, start_block: int | None, checkpoint: Checkpoint | None
    ) -> EventsRequestData:
        return new_chaincode_events_request_data(self._context, self._name, chaincode, start_block, checkpoint)

    def _block_events_data(self, start_block: int | None, checkpoint: Checkpoint | None) -> EventsRequestData:
        return new_block_events_request_data(self._context, self._name, start_block, checkpoint)

    def _commit_data(self, transaction_id: str) -> CommitData:
        if not transaction_id:
            raise ValueError("a transaction id is required")
        return new_commit_data(self._context, self._name, transaction_id)
