"""The files of a pack on disk: safe paths, the bounded walk, size limits, text and media reads.

Rules: a path written in a pack is relative to the pack, uses ``/``, is not absolute, does not
leave the pack through ``..`` or a symlink, names no hidden file, lies under the folder its key
expects and ends in an accepted extension. Names starting with ``.`` are not part of a pack (the
walk skips them). Markdown and YAML files are at most 256 KiB, other files 20 MiB, a pack at
most 200 files. Media files must start with the bytes their extension promises.
"""
from __future__ import annotations

import hashlib
import itertools
import math
import os
import posixpath
import re
from pathlib import Path

from .model import MAX_FILES, MAX_MEDIA_BYTES, MAX_TEXT_BYTES, TEXT_TYPES, Problem

#: how many files and folders the walk looks at before giving up
MAX_ENTRIES = 4 * MAX_FILES
_ABSOLUTE = re.compile(r"/|[A-Za-z]:")
_MAGIC = {
    "png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "jpg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    "webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    "mp3": lambda head: head.startswith(b"ID3") or (
        len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0),
    "m4a": lambda head: head[4:8] == b"ftyp",
    "ogg": lambda head: head.startswith(b"OggS"),
    "webm": lambda head: head.startswith(b"\x1a\x45\xdf\xa3"),
}


def extension(path: str) -> str:
    return posixpath.splitext(path)[1][1:].lower()


def or_list(types) -> str:
    names = [f".{t}" for t in types]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def pack_path(raw: str, folder: str, types) -> tuple[str | None, str | None]:
    """``(normalised pack-relative path, None)``, or ``(None, why it is refused)``."""
    if not raw:
        return None, "is empty"
    if "\\" in raw or "\x00" in raw:
        return None, "contains a backslash or NUL (write paths with '/')"
    if _ABSOLUTE.match(raw):
        return None, "is an absolute path (paths are relative to the pack)"
    path = posixpath.normpath(raw)
    parts = path.split("/")
    if parts[0] == "..":
        return None, "leaves the pack ('..')"
    if parts[0] != folder or len(parts) < 2:
        return None, f"is not under {folder}/"
    if any(part.startswith(".") for part in parts):
        return None, "names a hidden file or folder"
    if extension(path) not in types:
        return None, f"must end in {or_list(types)}"
    return path, None


def _inside(root_real: Path, path: Path) -> Path | None:
    """Where ``path`` really is, when that is inside the pack."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None
    return real if real.is_relative_to(root_real) else None


def find_file(root: Path, root_real: Path, rel: str) -> str | None:
    """None when ``rel`` is a regular file inside the pack, else why not."""
    real = _inside(root_real, root / rel)
    if real is None:
        return "is a symlink pointing outside the pack"
    if not real.exists():
        return "does not exist"
    return None if real.is_file() else "is not a regular file"


def size_problem(rel: str, size: int) -> str | None:
    if extension(rel) in TEXT_TYPES:
        if size > MAX_TEXT_BYTES:
            return f"the file is {math.ceil(size / 1024)} KiB; the limit is 256 KiB"
    elif size > MAX_MEDIA_BYTES:
        return f"the file is {size / 2**20:.1f} MiB; the limit is 20 MiB"
    return None


def scan_pack(root: Path, name: str, problems: list[Problem]) -> dict[str, int]:
    """Every file of the pack as ``{pack-relative path: size}``, in path order. Reports symlinks
    leaving the pack or naming a folder, special files, files over their limit, too many files."""
    root_real = root.resolve()
    files: dict[str, int] = {}
    pending, entries = [""], 0  # entries: hidden ones too, so a folder bomb stays cheap
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(root / folder) as found:
                items = list(itertools.islice(found, MAX_ENTRIES - entries + 1))
        except OSError as exc:
            problems.append(Problem(f"{name}/{folder}", 0, f"cannot be read ({exc.strerror})"))
            continue
        entries += len(items)
        if entries > MAX_ENTRIES:
            problems.append(Problem(name, 0, f"the pack has more than {MAX_FILES} files "
                                             f"(a pack holds at most {MAX_FILES})"))
            return files
        subfolders = []
        for entry in sorted(items, key=lambda entry: entry.name):
            if entry.name.startswith("."):
                continue
            rel = f"{folder}/{entry.name}" if folder else entry.name
            shown = f"{name}/{rel}"
            if entry.is_symlink():
                real = _inside(root_real, Path(entry.path))
                if real is None or real.is_dir():
                    problems.append(Problem(shown, 0, "is a symlink pointing outside the pack"
                                            if real is None else "is a symlink to a folder "
                                            "(only files may be symlinks)"))
                    continue
            if entry.is_dir():
                subfolders.append(rel)
            elif entry.is_file():
                files[rel] = entry.stat().st_size
                if message := size_problem(rel, files[rel]):
                    problems.append(Problem(shown, 0, message))
            else:
                problems.append(Problem(shown, 0, "is not a regular file"))
        pending.extend(reversed(subfolders))
    if len(files) > MAX_FILES:
        problems.append(Problem(name, 0, f"the pack has {len(files)} files "
                                         f"(a pack holds at most {MAX_FILES})"))
    return files


def read_text(path: Path, rel: str) -> tuple[str | None, int, str | None]:
    """``(text, 0, None)`` with newlines made ``\\n`` and a BOM dropped, or
    ``(None, line, problem)``: over the size limit, or not UTF-8 (line of the first bad byte)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_TEXT_BYTES + 1)
        size = max(len(data), os.fstat(handle.fileno()).st_size)
    if message := size_problem(rel, size):
        return None, 0, message
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, data.count(b"\n", 0, exc.start) + 1, "the file is not UTF-8 text"
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n"), 0, None


def hash_media(path: Path) -> tuple[str, bool]:
    """``(sha256 hex, whether the first bytes match the extension)``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        head = handle.read(64)
        digest.update(head)
        while chunk := handle.read(1 << 16):
            digest.update(chunk)
    sniff = _MAGIC.get(extension(path.name))
    return digest.hexdigest(), bool(sniff and sniff(head))
