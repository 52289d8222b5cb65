"""``python -m tradefin.chaincode serve``: run the chaincode server (chaincode as a service).

The only place in ``tradefin.chaincode`` that configures logging. When the server is ready it logs
one line ``chaincode server listening on HOST:PORT`` to stderr; SIGTERM or SIGINT stop it cleanly
(exit status 0).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys
from collections.abc import Sequence

from tradefin.chaincode.contract import Contract, ContractRouter
from tradefin.chaincode.shim import ChaincodeServer, ServerTLS

__all__ = ["contract_references", "load_contracts", "main", "parse_address"]

logger = logging.getLogger("tradefin.chaincode.server")

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})
DEFAULT_CONTRACTS = "default"
STOP_GRACE_SECONDS = 2.0


class UsageError(Exception):
    """A command-line value is unusable."""


def parse_address(address: str, *, allow_any_host: bool) -> tuple[str, int]:
    """Split ``host:port`` and refuse a non-loopback host unless explicitly allowed."""
    host, separator, port_text = address.rpartition(":")
    if not separator or not host or not port_text.isdigit() or int(port_text) > 65535:
        raise UsageError(f"--address must be HOST:PORT, got {address!r}")
    if host not in LOOPBACK_HOSTS and not allow_any_host:
        raise UsageError(
            f"--address host {host!r} is not 127.0.0.1 or localhost; pass --allow-any-host to listen there"
        )
    return host, int(port_text)


def _as_contracts(found: object, reference: str) -> list[Contract]:
    if isinstance(found, type) and issubclass(found, Contract):
        return [found()]
    if isinstance(found, Contract):
        return [found]
    if callable(found):
        return _as_contracts(found(), reference)
    if isinstance(found, list | tuple) and all(isinstance(c, Contract) for c in found):
        return list(found)
    raise UsageError(f"{reference} is not a Contract, a Contract class, or a callable returning contracts")


def _dotted_name(text: str) -> bool:
    return all(part.isidentifier() for part in text.split("."))


def contract_references(references: str) -> list[tuple[str, str]]:
    """The (module, attribute) of each entry of ``module:attr[,module:attr]``, checked without importing
    anything (the network spec checks its ``chaincode.contracts`` with it before any server starts)."""
    found: list[tuple[str, str]] = []
    for reference in filter(None, (part.strip() for part in references.split(","))):
        module_name, separator, attribute = reference.partition(":")
        if not separator or not _dotted_name(module_name) or not _dotted_name(attribute):
            raise UsageError(f"--contracts entries are module:attribute, got {reference!r}")
        found.append((module_name, attribute))
    if not found:
        raise UsageError("--contracts names no contract")
    return found


def load_contracts(references: str) -> list[Contract]:
    """Resolve ``default`` or ``module:attr[,module:attr]`` to contract instances (order kept)."""
    if references == DEFAULT_CONTRACTS:
        from tradefin.chaincode.contracts import default_contracts

        return default_contracts()
    contracts: list[Contract] = []
    for module_name, attribute in contract_references(references):
        reference = f"{module_name}:{attribute}"
        try:
            found: object = importlib.import_module(module_name)
            for part in attribute.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError) as exc:
            raise UsageError(f"cannot load {reference}: {exc}") from exc
        contracts.extend(_as_contracts(found, reference))
    if not contracts:
        raise UsageError("--contracts names no contract")
    return contracts


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tradefin.chaincode", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the chaincode to Fabric peers (chaincode as a service)")
    serve.add_argument("--address", required=True, help="listen address HOST:PORT (loopback unless allowed)")
    serve.add_argument("--package-id", required=True, help="the installed package id, sent in REGISTER")
    serve.add_argument("--tls-cert", help="server certificate (PEM)")
    serve.add_argument("--tls-key", help="server private key (PEM)")
    serve.add_argument("--client-ca", help="CA (PEM) that signs peer client certificates: enables mutual TLS")
    serve.add_argument(
        "--contracts",
        default=DEFAULT_CONTRACTS,
        help="'default' or module:attr[,module:attr] (Contract class, instance, or factory); first is default",
    )
    serve.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    serve.add_argument("--allow-any-host", action="store_true", help="allow a non-loopback --address host")
    serve.add_argument(
        "--insecure-plaintext",
        action="store_true",
        help="serve without TLS (connection.json must say tls_required: false); for local experiments only",
    )
    serve.add_argument("--no-write-batching", action="store_true", help="ignore the peer's write-batch offer")
    return parser


def _tls(arguments: argparse.Namespace) -> ServerTLS | None:
    if arguments.insecure_plaintext:
        if arguments.tls_cert or arguments.tls_key or arguments.client_ca:
            raise UsageError("--insecure-plaintext cannot be combined with TLS files")
        return None
    if not arguments.tls_cert or not arguments.tls_key:
        raise UsageError("--tls-cert and --tls-key are required (or --insecure-plaintext, explicitly)")
    try:
        return ServerTLS.from_files(arguments.tls_cert, arguments.tls_key, arguments.client_ca)
    except OSError as exc:
        raise UsageError(f"cannot read TLS files: {exc}") from exc


async def _serve(server: ChaincodeServer, host: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    await server.start()
    logger.info("chaincode server listening on %s:%d", host, server.port)
    await stop.wait()
    logger.info("stopping chaincode server")
    await server.stop(STOP_GRACE_SECONDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    level = logging.getLevelName(arguments.log_level.upper())
    if not isinstance(level, int):
        parser.error(f"unknown --log-level {arguments.log_level!r}")
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger.setLevel(min(level, logging.INFO))  # the readiness line shows at every log level
    try:
        host, port = parse_address(arguments.address, allow_any_host=arguments.allow_any_host)
        tls = _tls(arguments)
        router = ContractRouter(load_contracts(arguments.contracts))
        server = ChaincodeServer(
            f"{host}:{port}",
            arguments.package_id,
            router,
            tls=tls,
            write_batching=not arguments.no_write_batching,
        )
        asyncio.run(_serve(server, host))
    except (UsageError, OSError, ValueError) as exc:
        logger.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
