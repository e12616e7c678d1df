"""Reading what the user handed us: a file, a folder or a zip, as bytes, streamed.

Archives are read in place (never extracted), members are matched on their path suffix
case-insensitively (exports get re-zipped with an extra top folder, ``__MACOSX/`` or backslash
separators), and zip members are capped in size and compression ratio.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable

from graphsvc.errors import ImportFailed

MAX_MEMBER_BYTES = 2 * 1024**3
MAX_COMPRESSION_RATIO = 200
JUNK_PARTS = ("__macosx", ".ds_store")


def canonical_member_name(name: str) -> str:
    """``Some Folder\\Email_Addresses.csv`` -> ``some folder/emailaddresses.csv`` for suffix matching."""
    name = name.replace("\\", "/").lower()
    head, _, tail = name.rpartition("/")
    return (head + "/" if head else "") + re.sub(r"[\s_]+", "", tail)


@dataclass(frozen=True)
class Member:
    name: str  # as stored (normalised separators)
    size: int
    opener: Callable[[], BinaryIO]

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name

    def open(self) -> BinaryIO:
        return self.opener()


class Source:
    """A user-supplied input: one file, or a container (zip or folder) of files."""

    def __init__(self, name: str, members: list[Member], *, is_container: bool) -> None:
        self.name = name
        self.members = members
        self.is_container = is_container

    @classmethod
    def from_path(cls, path: str | Path, display_name: str | None = None) -> "Source":
        path = Path(path)
        name = display_name or path.name
        if path.is_dir():
            members = [
                Member(str(p.relative_to(path)).replace("\\", "/"), p.stat().st_size, _file_opener(p))
                for p in sorted(path.rglob("*"))
                if p.is_file() and not _is_junk(str(p.relative_to(path)))
            ]
            return cls(name, members, is_container=True)
        if not path.exists():
            raise ImportFailed(f"{path}: no such file or folder")
        if _starts_with_zip_magic(path):
            return cls(name, _zip_members(path), is_container=True)
        return cls(name, [Member(name, path.stat().st_size, _file_opener(path))], is_container=False)

    @property
    def single(self) -> Member:
        return self.members[0]

    def find(self, *basenames: str) -> Member | None:
        """The member whose file name matches one of ``basenames`` (ignoring case, spaces, underscores).

        The shallowest match wins, so a stray copy deeper in the tree does not shadow the real one.
        """
        wanted = {canonical_member_name(b) for b in basenames}
        matches = [
            m for m in self.members if canonical_member_name(m.name).rpartition("/")[2] in wanted
        ]
        matches.sort(key=lambda m: (m.name.count("/"), m.name))
        return matches[0] if matches else None

    def read_head(self, member: Member | None = None, size: int = 64 * 1024) -> bytes:
        with (member or self.single).open() as fh:
            return fh.read(size)


def _is_junk(name: str) -> bool:
    lowered = name.replace("\\", "/").lower()
    return any(part in JUNK_PARTS or part.startswith("._") for part in lowered.split("/"))


def _file_opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: open(path, "rb")


def _starts_with_zip_magic(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def _zip_members(path: Path) -> list[Member]:
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ImportFailed(f"{path.name}: not a readable zip archive ({exc})") from exc
    members = []
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in PurePosixPath(name).parts or re.match(r"^[a-zA-Z]:", name):
            raise ImportFailed(f"{path.name}: unsafe member path {info.filename!r} in the zip")
        if _is_junk(name):
            continue
        if info.file_size > MAX_MEMBER_BYTES:
            raise ImportFailed(f"{path.name}: member {name!r} is larger than the {MAX_MEMBER_BYTES} byte cap")
        if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
            raise ImportFailed(
                f"{path.name}: member {name!r} expands {info.file_size // info.compress_size}x "
                f"(cap {MAX_COMPRESSION_RATIO}x); refusing a possible zip bomb"
            )
        members.append(Member(name, info.file_size, _zip_opener(path, info.filename, info.file_size)))
    return members


def _zip_opener(path: Path, member: str, declared_size: int) -> Callable[[], BinaryIO]:
    def open_member() -> BinaryIO:
        archive = zipfile.ZipFile(path)
        return _CappedReader(archive.open(member), declared_size, archive)

    return open_member


class _CappedReader(io.RawIOBase):
    """Counts bytes actually inflated: a lying header cannot make us read more than declared."""

    def __init__(self, inner: BinaryIO, cap: int, archive: zipfile.ZipFile) -> None:
        self._inner, self._cap, self._archive, self._read = inner, cap, archive, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        try:
            data = self._inner.read(len(buffer))
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise ImportFailed(f"the zip archive is damaged ({exc})") from exc
        self._read += len(data)
        if self._read > self._cap:
            raise ImportFailed("a zip member inflates beyond its declared size")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        self._archive.close()
        super().close()
