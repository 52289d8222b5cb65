"""The ``tradefin`` command: Fabric binaries, the test network, identities, chaincode, and the main job.

Payment channels, payments and FX quotes are in :mod:`tradefin.cli.payments`."""

from __future__ import annotations

import json
import logging
import signal
import stat
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from ..console import ConsoleProgress

F = TypeVar("F", bound=Callable[..., Any])
# Not on a terminal (CI logs, pipes): wide enough that tables keep one line per row.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False)


def _fail(message: str, code: int = 1) -> None:
    # soft_wrap: one line however long (rich would break it at the terminal's, or 80 columns')
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(code)


def friendly_errors(func: F) -> F:
    """Turn the library's own errors into one clear line and a non-zero exit, without a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..network.errors import NetworkError
        from ..network.spec import SpecError

        try:
            return func(*args, **kwargs)
        except SpecError as exc:
            _fail(f"invalid network spec: {exc}", 2)
        except NetworkError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:
            _fail("interrupted; everything this command started was stopped", 130)
        return None

    return wrapper  # type: ignore[return-value]


def _spec_checked(check: Callable[[], None]) -> None:
    """``check()``, one of the network spec's checks given an option's name as its field: a refusal is a usage
    error naming that option (exit 2), not an invalid spec."""
    from ..network.spec import SpecError

    try:
        check()
    except SpecError as exc:
        raise click.BadParameter(exc.message, param_hint=exc.field) from None


@click.group()
@click.option("--workdir", type=click.Path(path_type=Path), envvar="TRADEFIN_HOME", default=None,
              help="The network's working directory (default: ./.tradefin; env TRADEFIN_HOME).")
@click.option("-v", "--verbose", is_flag=True, help="Log the library's debug messages to stderr.")
@click.pass_context
def main(ctx: click.Context, workdir: Path | None, verbose: bool) -> None:
    """fabric-tradefin: trade finance on a real Hyperledger Fabric network."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if verbose:  # ours only: other libraries' debug output (urllib3, docker) stays off
        logging.getLogger("tradefin").setLevel(logging.DEBUG)
    _stop_on_termination()
    ctx.obj = {"workdir": workdir}


def _stop_on_termination() -> None:
    """SIGTERM (a CI timeout, `timeout(1)`, `kill`) and SIGHUP (a closed terminal) end a command the way
    Ctrl-C does, so that what it started is stopped: their default action ends the interpreter at once."""

    def interrupt(signum: int, frame: object) -> None:
        del frame
        signal.signal(signum, signal.SIG_IGN)  # a second one must not cut the clean-up short
        raise KeyboardInterrupt

    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, interrupt)


# --- fabric --------------------------------------------------------------------------------------------


@main.group()
def fabric() -> None:
    """Hyperledger Fabric binaries."""


def _release(release: str | None) -> str | None:
    """``--release``: one of the releases this version knows how to build (fabric.RELEASES), or a usage error
    (before anything is fetched or built)."""
    from ..network.fabric import RELEASES

    if release is not None and release not in RELEASES:
        raise click.BadParameter(f"unknown Fabric release {_shortened(release)!r}; known releases: "
                                 f"{', '.join(RELEASES)} (see `tradefin fabric releases`)", param_hint="--release")
    return release


@fabric.command("install")
@click.option("--release", default=None, callback=lambda ctx, param, value: _release(value),
              help="A Fabric release (default: pinned; see `tradefin fabric releases`).")
@click.option("--rebuild", is_flag=True, help="Build even when a cached build exists.")
@click.option("--json", "as_json", is_flag=True, help="Print where the binaries are as JSON.")
@friendly_errors
def fabric_install(release: str | None, rebuild: bool, as_json: bool) -> None:
    """Build Fabric's binaries from the official Go module (CGO off), cached per commit."""
    from ..network.fabric import ensure_fabric

    progress = ConsoleProgress()
    started = time.monotonic()
    with progress.step("Fabric binaries"):
        installation = ensure_fabric(release, progress=progress.note, rebuild=rebuild)
    elapsed = time.monotonic() - started
    if as_json:
        out.print_json(json.dumps({**installation.to_json(), "seconds": round(elapsed, 3)}))
    else:
        out.print(f"Fabric {installation.version} ({installation.commit[:7]}, {installation.source}) "
                  f"in {installation.bin_dir} [{elapsed:.2f}s]")


@fabric.command("releases")
def fabric_releases() -> None:
    """List the Fabric releases this version of fabric-tradefin knows how to build."""
    from ..network.fabric import PINNED_RELEASE, RELEASES

    for version, release in RELEASES.items():
        pinned = " (pinned)" if version == PINNED_RELEASE else ""
        out.print(f"{version}{pinned}  commit {release.commit}  module {release.pseudo_version}  "
                  f"go >= {'.'.join(map(str, release.min_go))}")


# --- network -------------------------------------------------------------------------------------------


@main.group()
def network() -> None:
    """The test network: orderers, one peer per bank, one channel per consortium."""


def _root(ctx: click.Context) -> Path:
    """The network's working directory, absolute (whether or not a network is in it): a directory, or a path
    where one can be made; anything else (a file, a name too long, a symlink loop) is a usage error naming
    --workdir (or TRADEFIN_HOME, its default), not an OSError from the first file looked for in it."""
    from ..network.layout import default_workdir

    given = ctx.obj["workdir"]
    try:
        root: Path = (given or default_workdir()).resolve()
        mode = root.stat().st_mode
    except FileNotFoundError:
        return root  # `network up` makes it
    except (OSError, RuntimeError) as exc:  # RuntimeError: pathlib's "Symlink loop"
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise click.BadParameter(f"{_shortened(str(given or default_workdir()))}: {reason}",
                                 param_hint="--workdir") from None
    if not stat.S_ISDIR(mode):
        raise click.BadParameter(f"{_shortened(str(root))} is not a directory", param_hint="--workdir")
    return root


def _shortened(text: str, most: int = 120) -> str:
    """``text``, or its start and end around '...' when longer than ``most`` characters."""
    return text if len(text) <= most else f"{text[:most // 2]}...{text[-most // 2:]}"


def _open(ctx: click.Context, **settings: Any) -> Any:
    from ..network.network import FabricNetwork

    _root(ctx)
    return FabricNetwork.create(ctx.obj["workdir"], progress=ConsoleProgress(), **settings)


def _existing(ctx: click.Context) -> Any:
    """The network of the working directory, for a command that needs one made by `network up`: without
    one it fails in one line (instead of reading crypto material that is not there, or creating files)."""
    root = _root(ctx)
    if not (root / "state.json").exists():
        _fail(f"no network in {root} (run `tradefin network up`)")
    return _open(ctx)


def _port_base(base: int | None) -> int | None:
    """``--port-base``: a block of ports the network may take (ports.check_port_base), or a usage error."""
    from ..network.ports import PortError, check_port_base

    if base is not None:
        try:
            check_port_base(base)
        except PortError as exc:
            raise click.BadParameter(str(exc), param_hint="--port-base") from None
    return base


@network.command("up")
@click.option("--spec", "spec_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Network spec YAML (default: the packaged three-bank, two-channel spec).")
@click.option("--runtime", type=click.Choice(["native", "docker"]), default=None, help="Processes or containers.")
@click.option("--orderers", type=click.Choice(["raft1", "raft3", "bft4"]), default=None, help="Ordering service.")
@click.option("--images", type=click.Choice(["local", "official"]), default=None,
              help="docker runtime: images built here from the same binaries, or hyperledger/fabric-*:3.1.5.")
@click.option("--port-base", type=int, default=None, callback=lambda ctx, param, value: _port_base(value),
              help="First port of the network's block (env TRADEFIN_PORT_BASE).")
@click.pass_context
@friendly_errors
def network_up(ctx: click.Context, spec_path: Path | None, runtime: str | None, orderers: str | None,
               images: str | None, port_base: int | None) -> None:
    """Bring the network up (or back up with its data) and deploy the chaincode on every channel."""
    from ..network.spec import SpecError

    started = time.monotonic()
    try:
        net = _open(ctx, spec_path=spec_path, runtime=runtime, orderers=orderers, images=images, port_base=port_base)
    except SpecError as exc:
        if exc.field != "orderers":
            raise
        raise click.BadParameter(exc.message, param_hint="--orderers") from None  # the spec fits, not with these
    status = net.up()
    out.print(f"network [bold]{net.spec.name}[/bold] {status.state} ({net.runtime_name}, "
              f"{net.spec.orderer.variant}) in {time.monotonic() - started:.1f}s; "
              f"connection profiles in {net.layout.profiles}")
    if status.state != "running":
        _fail(f"the network is {status.state}, not running; see `tradefin network status`")


@network.command("down")
@click.option("--purge", is_flag=True, help="Also delete the ledgers, crypto and everything in the working directory.")
@click.pass_context
@friendly_errors
def network_down(ctx: click.Context, purge: bool) -> None:
    """Stop every node and chaincode server (ledgers are kept unless --purge)."""
    root = _root(ctx)
    if not (root / "state.json").exists():
        out.print(f"no network in {root}")
        return
    net = _open(ctx)
    net.down(purge=purge)
    out.print(f"network {'purged' if purge else 'stopped (ledgers kept)'}: {root}")


@network.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON (default: a table).")
@click.pass_context
@friendly_errors
def network_status(ctx: click.Context, as_json: bool) -> None:
    """What runs, what is healthy, and the chaincodes deployed."""
    from ..network.network import NetworkStatus

    root = _root(ctx)
    status = _open(ctx).status() if (root / "state.json").exists() else NetworkStatus(root, "absent", None)
    if as_json:
        out.print_json(json.dumps(status.to_json()))
        return
    if status.state == "absent":
        out.print(f"no network in {root} (run `tradefin network up`)")
        return
    if status.state == "stopped":
        out.print(f"the network in {root} is stopped (run `tradefin network up` to start it with its data)")
        return
    table = Table(title=f"network in {root}: {status.state} ({status.runtime})")
    for column in ("node", "kind", "running", "healthy", "ports", "RSS MiB"):
        table.add_column(column, no_wrap=column == "node")
    for unit in status.units:
        rss = f"{unit.memory_bytes / 2**20:.0f}" if unit.memory_bytes else "-"
        table.add_row(unit.name, unit.kind, "yes" if unit.running else "[red]no[/red]",
                      {True: "yes", False: "[red]no[/red]", None: "-"}[unit.healthy],
                      " ".join(str(port) for port in unit.ports.values()), rss)
    out.print(table)


@network.command("logs")
@click.argument("node")
@click.option("-n", "--lines", type=click.IntRange(min=0), default=200, show_default=True,
              help="How many of its last lines.")
@click.pass_context
@friendly_errors
def network_logs(ctx: click.Context, node: str, lines: int) -> None:
    """The last lines a node (orderer0, bank1-peer0, a chaincode server...) wrote."""
    sys.stdout.write(_existing(ctx).logs(node, lines))


@network.command("info")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable (the only format for now).")
@click.pass_context
@friendly_errors
def network_info(ctx: click.Context, as_json: bool) -> None:
    """Endpoints, MSP ids, TLS CAs, identities, connection profiles and channels."""
    del as_json
    out.print_json(json.dumps(_existing(ctx).info()))


# --- identities ----------------------------------------------------------------------------------------


@main.group()
def identity() -> None:
    """Bank users whose certificates carry a role (Fabric CA attributes)."""


def _user_name(user: str, bank: Any = None) -> str:
    """``--user``: a plain name, and with ``bank`` (a BankSpec) short enough for ``<user>@<bank domain>`` to be a
    certificate's common name; a usage error naming --user otherwise."""
    from ..network.identities import IdentityError, check_user_name

    try:
        check_user_name(user, bank)
    except IdentityError as exc:
        raise click.BadParameter(str(exc), param_hint="--user") from None
    return user


def _role(role: str) -> str:
    """``--role``: a role the contracts know (identities.ROLES), or a usage error."""
    from ..network.identities import IdentityError, check_role

    try:
        check_role(role)
    except IdentityError as exc:
        raise click.BadParameter(str(exc), param_hint="--role") from None
    return role


def _attributes(items: tuple[str, ...]) -> dict[str, str]:
    """``--attr name=value`` items as a mapping: each well formed, named once, not an attribute the issuer sets."""
    from ..network.identities import IdentityError, check_extra_attributes

    attributes: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{_shortened(item)!r} must be name=value", param_hint="--attr")
        if name in attributes:
            raise click.BadParameter(f"attribute {_shortened(name)!r} is given twice", param_hint="--attr")
        attributes[name] = value
    try:
        check_extra_attributes(attributes)
    except IdentityError as exc:
        raise click.BadParameter(str(exc), param_hint="--attr") from None
    return attributes


@identity.command("issue")
@click.option("--bank", required=True, help="Bank name from the spec, e.g. bank1.")
@click.option("--user", required=True, callback=lambda ctx, param, value: _user_name(value),
              help="User name; the identity is <user>@<bank domain>.")
@click.option("--role", required=True, callback=lambda ctx, param, value: _role(value),
              help="issuer, advisor, examiner, approver, treasury, compliance, auditor, ...")
@click.option("--attr", "attrs", multiple=True, callback=lambda ctx, param, value: _attributes(value),
              help="Extra attribute name=value (repeatable), e.g. lei=...")
@click.option("--key", "key_type", type=click.Choice(["ecdsa-p256", "ecdsa-p384", "ed25519"]), default="ecdsa-p256",
              show_default=True, help="Key type of the new identity (ed25519 needs Fabric v3 channels).")
@click.option("--public-key", "public_key_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="PEM public key (P-256 or P-384) of a key held elsewhere, e.g. in an HSM: the certificate is "
                   "issued for it and no private key is made (default: a new key pair of --key).")
@click.pass_context
@friendly_errors
def identity_issue(ctx: click.Context, bank: str, user: str, role: str, attrs: dict[str, str],
                   key_type: str, public_key_file: str | None) -> None:
    """Issue a user certificate signed by the bank's CA, with role and BIC attributes, in an MSP folder."""
    from ..network.identities import issue_identity

    public_key = None
    if public_key_file is not None:
        if ctx.get_parameter_source("key_type") is not click.core.ParameterSource.DEFAULT:
            raise click.BadParameter("a key held elsewhere has its own type: give --key or --public-key, not both",
                                     param_hint="--public-key")
        public_key = _ec_public_key(public_key_file)

    net = _existing(ctx)
    try:
        bank_spec = net.spec.bank(bank)
    except KeyError:
        raise click.BadParameter(f"unknown bank {_shortened(bank)!r} (banks: "
                                 f"{', '.join(b.name for b in net.spec.banks)})", param_hint="--bank") from None
    _user_name(user, bank_spec)  # with the bank's domain
    issued = issue_identity(net.layout, bank_spec, user, role, attrs, key_type, public_key=public_key)
    out.print_json(json.dumps({"identity": issued.name, "msp_id": issued.msp_id, "msp_dir": str(issued.msp_dir),
                               "attributes": issued.attributes}))


def _ec_public_key(path: str) -> Any:
    """The P-256 or P-384 public key of a PEM file (a public key, or a certificate request's)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    data = Path(path).read_bytes()
    try:
        if b"CERTIFICATE REQUEST" in data:
            request = x509.load_pem_x509_csr(data)
            if not request.is_signature_valid:  # the holder of the key did not sign it
                raise click.BadParameter(f"{path}: the certificate request's signature does not verify",
                                         param_hint="--public-key")
            key: Any = request.public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise click.BadParameter(f"{path} holds no PEM public key or certificate request ({exc})",
                                 param_hint="--public-key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in ("secp256r1", "secp384r1"):
        raise click.BadParameter(f"{path}: Fabric identities held elsewhere are ECDSA P-256 or P-384 keys",
                                 param_hint="--public-key")
    return key


# --- docker engine -------------------------------------------------------------------------------------


@main.group()
def engine() -> None:
    """The Docker engine the docker runtime uses (started with --bridge=none when none answers)."""


@engine.command("start")
@friendly_errors
def engine_start() -> None:
    """Make sure a Docker engine answers (start Debian's dockerd if needed, as root)."""
    from ..network.docker_engine import ensure_engine

    progress = ConsoleProgress()
    with progress.step("Docker engine"):
        client = ensure_engine(progress.note)
    out.print(f"Docker engine {client.version().get('Version', '?')} answers")


@engine.command("stop")
@friendly_errors
def engine_stop() -> None:
    """Stop the dockerd that tradefin started (an engine started otherwise is left alone)."""
    from ..network.docker_engine import stop_engine

    out.print("stopped the dockerd tradefin started" if stop_engine() else "no dockerd started by tradefin runs")


# --- chaincode -----------------------------------------------------------------------------------------


@main.group()
def chaincode() -> None:
    """Chaincode as a service: package, install, approve, commit, run."""


@chaincode.command("deploy")
@click.option("--channel", required=True, help="The consortium channel, one of the spec's (required).")
@click.option("--name", required=True, help="The chaincode's name (required).")
@click.option("--version", default="1.0", show_default=True,
              help="The chaincode's version (another one than deployed upgrades it).")
@click.option("--contracts", default="default", show_default=True,
              help="Contracts the server serves: 'default' or module:attr[,module:attr].")
@click.pass_context
@friendly_errors
def chaincode_deploy(ctx: click.Context, channel: str, name: str, version: str, contracts: str) -> None:
    """Deploy a Python chaincode on one channel: every bank installs, approves and runs its server."""
    from ..network.spec import check_chaincode_name, check_chaincode_version, check_contracts

    # the network spec's own rules for its chaincode, before anything runs
    _spec_checked(lambda: check_chaincode_name(name, "--name"))
    _spec_checked(lambda: check_chaincode_version(name, version, "--version"))
    _spec_checked(lambda: check_contracts(contracts, "--contracts"))
    net = _existing(ctx)
    net.check_recorded_spec()  # a network made from a spec that now fails its checks deploys nothing
    if channel not in [c.name for c in net.spec.channels]:
        raise click.BadParameter(f"unknown channel {_shortened(channel)!r} (channels: "
                                 f"{', '.join(c.name for c in net.spec.channels)})", param_hint="--channel")
    _spec_checked(lambda: net.check_chaincode_servers(channel, name, "--name"))
    with net.progress.step(f"deploy {name} on {channel}"):
        deployed = net.deploy_chaincode(channel, name, version, contracts)
    out.print(f"{name} {version} sequence {deployed.sequence} committed on {channel}; package {deployed.package_id}")


# --- the main job --------------------------------------------------------------------------------------


@main.command("demo")
@click.option("--runtime", type=click.Choice(["native", "docker"]), default=None, help="Processes or containers.")
@click.option("--down", "stop_after", is_flag=True, help="Stop the network afterwards (ledgers kept).")
@click.pass_context
@friendly_errors
def demo(ctx: click.Context, runtime: str | None, stop_after: bool) -> None:
    """The main job: network up, chaincode on every channel, a real flow through the typed client."""
    from ..demo import run_demo

    _root(ctx)
    timeline = run_demo(ctx.obj["workdir"], ConsoleProgress(), out, runtime=runtime)
    timeline.render(out, "what happened on the ledger")
    if stop_after:
        _open(ctx).down()


# Command groups defined in their own modules register themselves on ``main`` when imported.
from . import credits as _credits  # noqa: E402,F401  (import for its side effect)
from . import payments as _payments  # noqa: E402,F401  (import for its side effect)
