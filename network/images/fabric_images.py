"""Our own peer and orderer images: the static Fabric binaries in ``FROM scratch`` images.

Nothing is pulled: the binaries are the ones the launcher built with ``CGO_ENABLED=0`` (see
``network/fabric.py``). In-image paths follow the official images, so one generated core.yaml serves
both image sets: the peer at ``/usr/local/bin/peer`` and the chaincode-as-a-service builder at
``/opt/hyperledger/ccaas_builder/bin``. Both images carry an empty mode-1777 ``/tmp`` (the peer's
external builder creates its working directories there) and a one-line ``/etc/nsswitch.conf`` so that
Go's resolver reads ``/etc/hosts`` before DNS.
"""

from __future__ import annotations

import json

from ..fabric import BUILDER_PROGRAMS, FabricInstallation
from ..node_config import IMAGE_BUILDER_PATH
from .context import BuildContext

PEER_REPOSITORY = "tradefin/fabric-peer"
ORDERER_REPOSITORY = "tradefin/fabric-orderer"
PEER_PROGRAM = "/usr/local/bin/peer"
ORDERER_PROGRAM = "/usr/local/bin/orderer"
NSSWITCH_CONF = b"hosts: files dns\n"


def _scratch_dockerfile(role: str, entrypoint: list[str], cmd: list[str], fabric: FabricInstallation) -> str:
    lines = [
        f"# fabric-tradefin {role} image: static Fabric {fabric.version} binaries on an empty base.",
        "FROM scratch",
        "COPY rootfs/ /",
        f"LABEL org.hyperledger.fabric.version={json.dumps(fabric.version)} "
        f"org.hyperledger.fabric.commit={json.dumps(fabric.commit)} tradefin.image={json.dumps(role)}",
        f"ENTRYPOINT {json.dumps(entrypoint)}",
    ]
    if cmd:
        lines.append(f"CMD {json.dumps(cmd)}")
    return "\n".join(lines) + "\n"


def _base_tree(context: BuildContext) -> None:
    context.add_dir("rootfs/tmp", 0o1777)
    context.add_bytes("rootfs/etc/nsswitch.conf", NSSWITCH_CONF, 0o644)


def peer_context(fabric: FabricInstallation) -> BuildContext:
    """Build context of the peer image: ``peer`` plus the ccaas builder's detect/build/release."""
    context = BuildContext(_scratch_dockerfile("peer", [PEER_PROGRAM], ["node", "start"], fabric))
    _base_tree(context)
    context.add_file("rootfs" + PEER_PROGRAM, fabric.program("peer"), 0o755)
    for program in BUILDER_PROGRAMS:
        context.add_file(f"rootfs{IMAGE_BUILDER_PATH}/bin/{program}", fabric.builder_dir / "bin" / program, 0o755)
    return context


def orderer_context(fabric: FabricInstallation) -> BuildContext:
    """Build context of the orderer image: ``orderer`` alone."""
    context = BuildContext(_scratch_dockerfile("orderer", [ORDERER_PROGRAM], [], fabric))
    _base_tree(context)
    context.add_file("rootfs" + ORDERER_PROGRAM, fabric.program("orderer"), 0o755)
    return context


def image_tag(repository: str, fabric: FabricInstallation, digest: str) -> str:
    """``repository:<fabric version>-<commit>-<inputs digest>``: a new tag whenever an input changes."""
    return f"{repository}:{fabric.version}-{fabric.commit[:7]}-{digest[:12]}"
