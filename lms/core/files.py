"""Writing uploaded bytes to disk so that a failure leaves nothing behind.

A full disk once left ``.upload-*`` temp files in the media folder, and with the disk still
full every sign-in failed (it writes an audit row) until someone deleted them by hand. Every
write here goes to a temp file in the target's folder and is renamed into place; on any
failure the temp file is removed and a full disk (ENOSPC, EDQUOT) becomes :class:`DiskFull`,
which pages answer with 507 and a message a person can act on. Temp files left by a process
that died mid-write are swept when they are older than an hour.
"""
from __future__ import annotations

import errno
import os
import tempfile
import time
from pathlib import Path

from lms.core.errors import DomainError
from lms.core.i18n import N_

TEMP_PREFIX = ".upload-"
STALE_SECONDS = 3600


class DiskFull(DomainError):
    """The server's disk is full: nothing was saved (HTTP 507 Insufficient Storage)."""

    status_code = 507

    def __init__(self, message: str = N_("服务器磁盘已满，文件没有保存。请联系管理员清理空间后再试。")):
        super().__init__(message)


def is_disk_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT)


def sweep_temp_files(folder: Path, older_than: float = STALE_SECONDS) -> int:
    """Remove temp files a crashed write left in ``folder``; returns how many."""
    removed, now = 0, time.time()
    for path in folder.glob(f"{TEMP_PREFIX}*"):
        try:
            if now - path.stat().st_mtime > older_than:
                path.unlink()
                removed += 1
        except OSError:
            pass
    return removed


def write_atomic(target: Path, data: bytes, *, keep_existing: bool = False) -> Path:
    """Write ``data`` to ``target`` all at once or not at all.

    ``keep_existing``: when ``target`` is already there, leave it (content-addressed files).
    Raises :class:`DiskFull` when the disk is full; the temp file is gone either way.
    """
    if keep_existing and target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_temp_files(target.parent)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as error:
        if is_disk_full(error):
            raise DiskFull() from error
        raise
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return target
