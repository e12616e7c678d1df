"""Reading what the user handed us: a file, a folder or a zip, as bytes, streamed.

Archives are read in place (never extracted), members are matched on their path suffix
case-insensitively (exports get re-zipped with an extra top folder, ``__MACOSX/`` or backslash
separators), and zip members are capped in size and compression ratio; the whole archive is
capped in expanded bytes (``MAX_EXPANDED_BYTES``, ``GRAPHSVC_MAX_ARCHIVE_BYTES``), counted from
the declared sizes, which ``_CappedReader`` holds every member to while it inflates.

An Excel workbook (``.xlsx``, a zip holding ``xl/workbook.xml``) is one file, not a container:
``Member.kind == "xlsx"`` (read as a table by ``importers/xlsx.py``). A legacy binary workbook
(OLE2) is ``kind == "xls"``; nothing reads it, and it is refused with a hint to re-save it.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable

from graphsvc.errors import ImportFailed

MAX_MEMBER_BYTES = 2 * 1024**3
MAX_COMPRESSION_RATIO = 200
#: The most bytes an archive (or a workbook) may expand to, all members together.
MAX_EXPANDED_BYTES = int(os.environ.get("GRAPHSVC_MAX_ARCHIVE_BYTES", 4 * 1024**3))
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
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
    kind: str = "file"  # "file", "xlsx" (an Excel workbook) or "xls" (a legacy binary workbook)
    encoding: str | None = None  # the user's ``--encoding``, over any detection
    #: What readers decided about this member (its encoding), kept for the job's notes.
    facts: dict[str, object] = field(default_factory=dict, compare=False, hash=False, repr=False)

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
    def from_path(
        cls,
        path: str | Path,
        display_name: str | None = None,
        *,
        encoding: str | None = None,
        max_expanded_bytes: int | None = None,
    ) -> "Source":
        """``encoding`` overrides detection for every text member; ``max_expanded_bytes``
        (default ``MAX_EXPANDED_BYTES``) caps what an archive's members expand to together."""
        path = Path(path)
        name = display_name or path.name
        if encoding:
            from importers.encoding import check_encoding

            encoding = check_encoding(encoding)
        cap = MAX_EXPANDED_BYTES if max_expanded_bytes is None else max_expanded_bytes
        if path.is_dir():
            members = [
                Member(str(p.relative_to(path)).replace("\\", "/"), p.stat().st_size, _file_opener(p), encoding=encoding)
                for p in sorted(path.rglob("*"))
                if p.is_file() and not _is_junk(str(p.relative_to(path)))
            ]
            return cls(name, members, is_container=True)
        if not path.exists():
            raise ImportFailed(f"{path}: no such file or folder")
        magic = _magic(path)
        if magic.startswith(b"PK\x03\x04"):
            members = _zip_members(path, cap, encoding)
            if _is_workbook(members):
                return cls(name, [Member(name, path.stat().st_size, _file_opener(path), kind="xlsx")], is_container=False)
            return cls(name, members, is_container=True)
        kind = "xls" if magic.startswith(OLE2_MAGIC) else "file"
        return cls(name, [Member(name, path.stat().st_size, _file_opener(path), kind=kind, encoding=encoding)], is_container=False)

    def reading_notes(self) -> list[str]:
        """What was decided while reading (the text's encoding), for the job's notes. In an archive,
        one note when every text member read is UTF-8, else one per member that is not."""
        choices = [(m, m.facts["encoding"]) for m in self.members if m.facts.get("encoding") is not None]
        if not choices:
            return []
        if not self.is_container:
            return [f"encoding: {choices[0][1].describe()}"]  # type: ignore[attr-defined]
        other = [(m, c) for m, c in choices if c.encoding not in ("utf-8", "utf-8-sig")]  # type: ignore[attr-defined]
        if not other:
            return ["encoding: utf-8 (every text file)"]
        return [f"encoding of {m.name}: {c.describe()}" for m, c in other]  # type: ignore[attr-defined]

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


def _magic(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(8)


def _is_workbook(members: list[Member]) -> bool:
    names = {m.name.lower() for m in members}
    return "xl/workbook.xml" in names and "[content_types].xml" in names


def _zip_members(path: Path, max_expanded_bytes: int = MAX_EXPANDED_BYTES, encoding: str | None = None) -> list[Member]:
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
        members.append(Member(name, info.file_size, _zip_opener(archive, info), encoding=encoding))
    expanded = sum(info.file_size for info in infos if not info.is_dir())
    if expanded > max_expanded_bytes:
        raise ImportFailed(
            f"{path.name}: the archive expands to {expanded} bytes, over the {max_expanded_bytes} byte cap "
            "(GRAPHSVC_MAX_ARCHIVE_BYTES); refusing a possible zip bomb"
        )
    return members


def _zip_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], BinaryIO]:
    # Every member is opened from the one archive whose directory was read already: opening the
    # archive again per member re-reads its whole directory, quadratic in its members (a zip of
    # 20,000 members took minutes). zipfile shares the file between open members, under a lock.
    def open_member() -> BinaryIO:
        return _CappedReader(archive.open(info), info.file_size)

    return open_member


class _CappedReader(io.RawIOBase):
    """Counts bytes actually inflated: a lying header cannot make us read more than declared."""

    def __init__(self, inner: BinaryIO, cap: int) -> None:
        self._inner, self._cap, self._read = inner, cap, 0

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
        super().close()
