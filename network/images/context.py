"""Docker build contexts written by us: a list of entries, a content digest and a deterministic tarball.

The digest covers every entry's path, type, mode and content, so an image tagged with it is rebuilt
exactly when one of its inputs changes. The tarball has fixed metadata (mtime 0, uid/gid 0, sorted
entries), so the same inputs always give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_CHUNK = 1 << 20


@dataclass(frozen=True)
class ContextEntry:
    """One entry of a build context: a regular file (from disk or bytes) or a directory."""

    path: str  # relative, '/'-separated, no leading slash
    mode: int
    source: Path | None = None
    data: bytes | None = None

    @property
    def is_dir(self) -> bool:
        return self.source is None and self.data is None

    def content_digest(self) -> str:
        digest = hashlib.sha256()
        if self.data is not None:
            digest.update(self.data)
        elif self.source is not None:
            with self.source.open("rb") as handle:
                for chunk in iter(lambda: handle.read(_CHUNK), b""):
                    digest.update(chunk)
        return digest.hexdigest()

    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        if self.source is not None:
            return self.source.stat().st_size
        return 0


def _normalise(path: str) -> str:
    parts = [part for part in path.strip("/").split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise ValueError(f"invalid build context path {path!r}")
    return "/".join(parts)


class BuildContext:
    """The files of one ``docker build``, with a Dockerfile at the top."""

    def __init__(self, dockerfile: str) -> None:
        self._entries: dict[str, ContextEntry] = {}
        self.add_bytes("Dockerfile", dockerfile.encode(), 0o644)

    def add_file(self, path: str, source: Path, mode: int = 0o755) -> None:
        """Add the regular file ``source`` (followed if it is a link) at ``path``."""
        if not source.is_file():
            raise FileNotFoundError(f"build context input {source} is not a file")
        self._add(ContextEntry(_normalise(path), mode, source=source))

    def add_bytes(self, path: str, data: bytes, mode: int = 0o644) -> None:
        """Add a regular file holding ``data`` at ``path``."""
        self._add(ContextEntry(_normalise(path), mode, data=data))

    def add_dir(self, path: str, mode: int = 0o755) -> None:
        """Add a directory at ``path`` (e.g. an empty, mode-1777 ``tmp``)."""
        self._add(ContextEntry(_normalise(path), mode))

    def _add(self, entry: ContextEntry) -> None:
        parts = entry.path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            existing = self._entries.get(parent)
            if existing is None:
                self._entries[parent] = ContextEntry(parent, 0o755)
            elif not existing.is_dir:
                raise ValueError(f"{parent} is a file, cannot hold {entry.path}")
        self._entries[entry.path] = entry

    @property
    def entries(self) -> list[ContextEntry]:
        """Entries in the order they are written (sorted by path, parents first)."""
        return [self._entries[path] for path in sorted(self._entries)]

    def entry(self, path: str) -> ContextEntry:
        return self._entries[_normalise(path)]

    @property
    def dockerfile(self) -> str:
        data = self._entries["Dockerfile"].data
        assert data is not None
        return data.decode()

    def digest(self) -> str:
        """Hex sha256 over every entry's path, type, mode and content."""
        digest = hashlib.sha256()
        for entry in self.entries:
            kind = "d" if entry.is_dir else "f"
            digest.update(f"{kind} {entry.mode:o} {entry.path} {entry.content_digest()}\n".encode())
        return digest.hexdigest()

    def write_tar(self, out: IO[bytes]) -> None:
        """Write the context as an uncompressed tar with fixed metadata."""
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for entry in self.entries:
                info = tarfile.TarInfo(entry.path)
                info.mode = entry.mode
                info.mtime = 0
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if entry.is_dir:
                    info.type = tarfile.DIRTYPE
                    tar.addfile(info)
                    continue
                info.size = entry.size()
                if entry.data is not None:
                    tar.addfile(info, io.BytesIO(entry.data))
                else:
                    assert entry.source is not None
                    with entry.source.open("rb") as handle:
                        tar.addfile(info, handle)
