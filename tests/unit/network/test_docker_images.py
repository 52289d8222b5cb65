"""Image recipes of the docker runtime: build contexts, digests, tags and the inputs of the chaincode image.

Nothing here needs a Docker engine: the contexts are checked as the tarballs the engine would receive.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from tradefin.network.fabric import BUILDER_PROGRAMS, FabricInstallation
from tradefin.network.images import (
    OFFICIAL_IMAGES,
    PROGRAM_ENTRYPOINTS,
    ImageError,
    Images,
    fabric_images,
    python_image,
)
from tradefin.network.images.context import BuildContext
from tradefin.network.node_config import IMAGE_BUILDER_PATH


@pytest.fixture
def fabric(tmp_path: Path) -> FabricInstallation:
    bin_dir = tmp_path / "bin"
    builder = tmp_path / "builders" / "ccaas"
    (builder / "bin").mkdir(parents=True)
    bin_dir.mkdir()
    for program in ("peer", "orderer"):
        (bin_dir / program).write_bytes(f"static {program} binary".encode())
    for program in BUILDER_PROGRAMS:
        (builder / "bin" / program).write_bytes(b"builder")
    return FabricInstallation(bin_dir, builder, "3.1.5", "86c1172bec37e6590c6b1ae6f847833df48d65fc", "cache")


def _members(context: BuildContext) -> dict[str, tarfile.TarInfo]:
    out = io.BytesIO()
    context.write_tar(out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        return {member.name: member for member in tar.getmembers()}


def _read(context: BuildContext, name: str) -> bytes:
    out = io.BytesIO()
    context.write_tar(out)
    with tarfile.open(fileobj=io.BytesIO(out.getvalue())) as tar:
        handle = tar.extractfile(name)
        assert handle is not None
        return handle.read()


# --- build contexts ------------------------------------------------------------------------------------


def test_context_tarball_is_deterministic_and_has_fixed_metadata(tmp_path: Path) -> None:
    source = tmp_path / "program"
    source.write_bytes(b"x" * 1000)
    first, second = BuildContext("FROM scratch\n"), BuildContext("FROM scratch\n")
    for context in (first, second):
        context.add_file("rootfs/usr/bin/program", source)
        context.add_dir("rootfs/tmp", 0o1777)
    a, b = io.BytesIO(), io.BytesIO()
    first.write_tar(a)
    second.write_tar(b)
    assert a.getvalue() == b.getvalue()
    members = _members(first)
    assert all(m.mtime == 0 and m.uid == 0 and m.gid == 0 for m in members.values())
    # Parents are created, and come before their children.
    names = list(members)
    assert names.index("rootfs") < names.index("rootfs/usr") < names.index("rootfs/usr/bin/program")


def test_context_digest_changes_with_content_mode_and_path(tmp_path: Path) -> None:
    source = tmp_path / "program"
    source.write_bytes(b"one")

    def digest(path: str = "bin/p", mode: int = 0o755) -> str:
        context = BuildContext("FROM scratch\n")
        context.add_file(path, source, mode)
        return context.digest()

    original = digest()
    assert digest() == original
    assert digest(mode=0o700) != original
    assert digest(path="bin/q") != original
    source.write_bytes(b"two")
    assert digest() != original


def test_context_rejects_escaping_paths_and_missing_inputs(tmp_path: Path) -> None:
    context = BuildContext("FROM scratch\n")
    with pytest.raises(ValueError, match="invalid"):
        context.add_bytes("../etc/passwd", b"")
    with pytest.raises(FileNotFoundError):
        context.add_file("bin/peer", tmp_path / "absent")


# --- peer and orderer images ------------------------------------------------------------------------


def test_peer_context_holds_peer_builders_tmp_and_nsswitch(fabric: FabricInstallation) -> None:
    context = fabric_images.peer_context(fabric)
    members = _members(context)
    assert members["rootfs/usr/local/bin/peer"].mode == 0o755
    for program in BUILDER_PROGRAMS:
        assert members[f"rootfs{IMAGE_BUILDER_PATH}/bin/{program}"].mode == 0o755
    tmp = members["rootfs/tmp"]
    assert tmp.isdir() and tmp.mode == 0o1777
    assert _read(context, "rootfs/etc/nsswitch.conf") == b"hosts: files dns\n"
    assert _read(context, "rootfs/usr/local/bin/peer") == b"static peer binary"
    dockerfile = context.dockerfile
    assert dockerfile.splitlines()[1] == "FROM scratch"
    assert 'ENTRYPOINT ["/usr/local/bin/peer"]' in dockerfile
    assert 'CMD ["node", "start"]' in dockerfile
    assert "RUN" not in dockerfile  # a scratch image has no shell


def test_orderer_context_holds_only_the_orderer(fabric: FabricInstallation) -> None:
    members = _members(fabric_images.orderer_context(fabric))
    files = sorted(name for name, m in members.items() if m.isfile())
    assert files == ["Dockerfile", "rootfs/etc/nsswitch.conf", "rootfs/usr/local/bin/orderer"]
    assert members["rootfs/tmp"].mode == 0o1777


def test_fabric_image_tags_name_release_commit_and_inputs(fabric: FabricInstallation) -> None:
    digest = fabric_images.peer_context(fabric).digest()
    tag = fabric_images.image_tag(fabric_images.PEER_REPOSITORY, fabric, digest)
    assert tag == f"tradefin/fabric-peer:3.1.5-86c1172-{digest[:12]}"
    (fabric.bin_dir / "peer").write_bytes(b"another build")
    assert fabric_images.peer_context(fabric).digest() != digest


def test_programs_map_to_the_paths_of_both_image_sets() -> None:
    assert PROGRAM_ENTRYPOINTS["peer"] == ("/usr/local/bin/peer",)
    assert PROGRAM_ENTRYPOINTS["orderer"] == ("/usr/local/bin/orderer",)
    assert PROGRAM_ENTRYPOINTS["chaincode"] == ("/opt/tradefin/bin/python3", "-m", "tradefin.chaincode")
    assert OFFICIAL_IMAGES == {"peer": "hyperledger/fabric-peer:3.1.5",
                               "orderer": "hyperledger/fabric-orderer:3.1.5"}


def test_unknown_image_set_is_refused(fabric: FabricInstallation) -> None:
    with pytest.raises(ImageError, match="unknown image set"):
        Images(client=None, fabric=fabric, images="remote")  # type: ignore[arg-type]


# --- chaincode server image -----------------------------------------------------------------------------


def test_debootstrap_command_line() -> None:
    recipe = python_image.BaseRecipe()
    argv = recipe.debootstrap_argv("/usr/sbin/debootstrap", Path("/work/rootfs"), "http://mirror.invalid/debian")
    assert argv == ["/usr/sbin/debootstrap", "--variant=minbase", "--include=python3", "bookworm", "/work/rootfs",
                    "http://mirror.invalid/debian"]
    assert recipe.tag().startswith("tradefin/debian-python:bookworm-")
    assert python_image.BaseRecipe(include=("python3", "python3-venv")).tag() != recipe.tag()


def test_mirror_comes_from_deb822_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEFIN_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://archive.invalid/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main\n\n"
        "Types: deb\nURIs: http://archive.invalid/debian-security\nSuites: bookworm-security\nComponents: main\n"
    )
    assert python_image.debian_mirror(tmp_path) == "http://archive.invalid/debian"


def test_mirror_comes_from_one_line_sources_and_prefers_the_suite(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEFIN_DEBIAN_MIRROR", raising=False)
    (tmp_path / "sources.list").write_text(
        "# deb http://commented.invalid/debian bookworm main\n"
        "deb-src http://source.invalid/debian bookworm main\n"
        "deb [arch=amd64] http://other.invalid/debian trixie main\n"
        "deb http://archive.invalid/debian bookworm main\n"
    )
    assert python_image.debian_mirror(tmp_path) == "http://archive.invalid/debian"


def test_mirror_override_and_missing_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEFIN_DEBIAN_MIRROR", raising=False)
    with pytest.raises(python_image.ImageInputError, match="TRADEFIN_DEBIAN_MIRROR"):
        python_image.debian_mirror(tmp_path)
    monkeypatch.setenv("TRADEFIN_DEBIAN_MIRROR", "http://override.invalid/debian")
    assert python_image.debian_mirror(tmp_path) == "http://override.invalid/debian"


def _fake_checkout(root: Path) -> Path:
    (root / "chaincode").mkdir(parents=True)
    (root / "chaincode" / "__init__.py").write_text("")
    (root / "chaincode" / "__main__.py").write_text("print('serve')\n")
    (root / "chaincode" / "__pycache__").mkdir()
    (root / "chaincode" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (root / "tradefin").mkdir()
    (root / "tradefin" / "__init__.py").write_text("")
    (root / "tradefin" / "chaincode").symlink_to("../chaincode")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "fabric-tradefin"\nversion = "1.2.3"\ndependencies = ["grpcio>=1.71", "pyyaml>=6"]\n'
    )
    return root


def test_sources_follow_package_links_and_skip_bytecode(tmp_path: Path) -> None:
    root = _fake_checkout(tmp_path / "checkout")
    names = [name for name, _ in python_image.source_files(root)]
    assert names == ["pyproject.toml", "tradefin/__init__.py", "tradefin/chaincode/__init__.py",
                     "tradefin/chaincode/__main__.py"]
    assert python_image.dependencies(root) == ["grpcio>=1.71", "pyyaml>=6"]
    assert python_image.project_version(root) == "1.2.3"


def test_chaincode_inputs_digest_follows_code_base_and_dependencies(tmp_path: Path) -> None:
    root = _fake_checkout(tmp_path / "checkout")
    dockerfile = python_image.chaincode_dockerfile("tradefin/debian-python:bookworm-abc")
    original = python_image.inputs_digest(root, "tradefin/debian-python:bookworm-abc", dockerfile)
    assert python_image.inputs_digest(root, "tradefin/debian-python:bookworm-abc", dockerfile) == original
    # Bytecode and caches do not count; code, the base image and the dependency list do.
    (root / "chaincode" / "__pycache__" / "y.cpython-311.pyc").write_bytes(b"\1")
    assert python_image.inputs_digest(root, "tradefin/debian-python:bookworm-abc", dockerfile) == original
    assert python_image.inputs_digest(root, "tradefin/debian-python:bookworm-def", dockerfile) != original
    (root / "chaincode" / "__main__.py").write_text("print('serve v2')\n")
    changed = python_image.inputs_digest(root, "tradefin/debian-python:bookworm-abc", dockerfile)
    assert changed != original
    (root / "pyproject.toml").write_text(
        '[project]\nname = "fabric-tradefin"\nversion = "1.2.3"\ndependencies = ["grpcio>=1.72"]\n'
    )
    assert python_image.inputs_digest(root, "tradefin/debian-python:bookworm-abc", dockerfile) != changed


def test_project_root_is_this_checkout_or_the_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEFIN_SOURCE_DIR", raising=False)
    root = python_image.project_root()
    assert (root / "pyproject.toml").is_file() and (root / "tradefin").is_dir()
    monkeypatch.setenv("TRADEFIN_SOURCE_DIR", str(tmp_path))
    with pytest.raises(python_image.ImageInputError, match="source checkout"):
        python_image.project_root()


def test_deps_context_installs_the_dependency_wheels_offline(tmp_path: Path) -> None:
    wheels = []
    for name in ("pip-26.0-py3-none-any.whl", "grpcio-1.71.0-cp311-cp311-manylinux2014_x86_64.whl"):
        (tmp_path / name).write_bytes(name.encode())
        wheels.append(tmp_path / name)
    base = "tradefin/debian-python:bookworm-abc"
    context = python_image.deps_context(base, ["grpcio>=1.71", "pyyaml>=6"], wheels)
    members = _members(context)
    assert "tools/pip.whl" in members and "wheels/pip-26.0-py3-none-any.whl" not in members
    assert "wheels/grpcio-1.71.0-cp311-cp311-manylinux2014_x86_64.whl" in members
    assert _read(context, "wheels/requirements.txt") == b"grpcio>=1.71\npyyaml>=6\n"
    dockerfile = context.dockerfile
    assert f"FROM {base} AS install" in dockerfile
    assert '"--no-index"' in dockerfile and '"--find-links", "/wheels"' in dockerfile
    assert '"-m", "venv", "--without-pip", "/opt/tradefin"' in dockerfile
    # The final stage copies the virtual environment and pip's wheel, not the dependency wheels.
    final = dockerfile.split("\n\n", 1)[1]
    assert "COPY --from=install /opt/tradefin /opt/tradefin" in final and "wheels" not in final
    tag = python_image.deps_tag(base, ["grpcio>=1.71", "pyyaml>=6"])
    assert tag.startswith("tradefin/chaincode-deps:")
    assert python_image.deps_tag(base, ["grpcio>=1.72", "pyyaml>=6"]) != tag
    assert python_image.deps_tag("tradefin/debian-python:bookworm-def", ["grpcio>=1.71", "pyyaml>=6"]) != tag


def test_deps_context_needs_pip(tmp_path: Path) -> None:
    with pytest.raises(python_image.ImageInputError, match="pip"):
        python_image.deps_context("base", [], [])


def test_chaincode_context_adds_only_the_project_wheel(tmp_path: Path) -> None:
    project = tmp_path / "fabric_tradefin-1.2.3-py3-none-any.whl"
    project.write_bytes(b"project")
    context = python_image.chaincode_context("tradefin/chaincode-deps:abc", project)
    files = sorted(name for name, member in _members(context).items() if member.isfile())
    assert files == ["Dockerfile", "project/fabric_tradefin-1.2.3-py3-none-any.whl", "project/requirements.txt"]
    assert _read(context, "project/requirements.txt") == b"/project/fabric_tradefin-1.2.3-py3-none-any.whl\n"
    dockerfile = context.dockerfile
    assert "FROM tradefin/chaincode-deps:abc\n" in dockerfile
    assert "/opt/tradefin/bin/python3 /tools/pip.whl/pip install --no-index" in dockerfile
    assert 'ENTRYPOINT ["/opt/tradefin/bin/python3", "-m", "tradefin.chaincode"]' in dockerfile
