"""The orderer's channel participation API (HTTPS with mutual TLS) and its operations endpoint."""

from __future__ import annotations

import http.client
import json
import ssl
import uuid
from dataclasses import dataclass
from pathlib import Path

from .errors import NetworkError
from .ports import HOST


class ParticipationError(NetworkError):
    """The channel participation API answered with an error."""


@dataclass(frozen=True)
class ChannelMembership:
    """What an orderer reports about one channel it belongs to."""

    name: str
    status: str  # "active", "onboarding", "failed", "inactive"
    consensus_relation: str  # "consenter", "follower", "config-tracker"
    height: int


@dataclass(frozen=True)
class ParticipationClient:
    """Client of one orderer's admin endpoint, authenticated with the orderer org admin's TLS cert."""

    port: int
    ca_file: Path
    client_cert: Path
    client_key: Path
    timeout: float = 10.0

    def _connection(self) -> http.client.HTTPSConnection:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.load_cert_chain(str(self.client_cert), str(self.client_key))
        context.check_hostname = False  # the certificate names the orderer, we dial 127.0.0.1 (pinned CA)
        return http.client.HTTPSConnection(HOST, self.port, context=context, timeout=self.timeout)

    def _request(self, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def channels(self) -> list[str]:
        status, body = self._request("GET", "/participation/v1/channels")
        if status != 200:
            raise ParticipationError(f"orderer :{self.port}: list channels -> HTTP {status} {body[:200]!r}")
        return [c["name"] for c in json.loads(body).get("channels") or []]

    def channel(self, name: str) -> ChannelMembership | None:
        status, body = self._request("GET", f"/participation/v1/channels/{name}")
        if status == 404:
            return None
        if status != 200:
            raise ParticipationError(f"orderer :{self.port}: channel {name} -> HTTP {status} {body[:200]!r}")
        return _membership(json.loads(body))

    def join(self, name: str, block: bytes) -> ChannelMembership:
        boundary = uuid.uuid4().hex
        body = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"config-block\"; filename=\"{name}.block\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode() + block + f"\r\n--{boundary}--\r\n".encode()
        status, answer = self._request("POST", "/participation/v1/channels", body,
                                       {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        if status != 201:
            raise ParticipationError(f"orderer :{self.port}: join {name} -> HTTP {status} {answer[:300]!r}")
        return _membership(json.loads(answer))


def _membership(doc: dict[str, object]) -> ChannelMembership:
    height = doc.get("height", 0)
    return ChannelMembership(str(doc.get("name")), str(doc.get("status")), str(doc.get("consensusRelation")),
                             int(height) if isinstance(height, int) else 0)


def http_get(port: int, path: str, timeout: float = 2.0) -> tuple[int, str]:
    """Plain HTTP GET against an operations endpoint on 127.0.0.1."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def healthy(port: int) -> bool:
    try:
        status, _ = http_get(port, "/healthz")
    except OSError:
        return False
    return status == 200


def metric_value(port: int, metric: str, labels: dict[str, str]) -> float | None:
    """A Prometheus gauge from the operations endpoint, e.g. consensus_etcdraft_is_leader{channel=...}."""
    try:
        status, text = http_get(port, "/metrics")
    except OSError:
        return None
    if status != 200:
        return None
    for line in text.splitlines():
        if not line.startswith(metric + "{") and line.split(" ")[0] != metric:
            continue
        name_and_labels, _, value = line.rpartition(" ")
        if all(f'{key}="{val}"' in name_and_labels for key, val in labels.items()):
            try:
                return float(value)
            except ValueError:
                return None
    return None
