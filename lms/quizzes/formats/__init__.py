"""Question banks in and out: XLSX/CSV (the Chinese exam layout), Moodle GIFT and Aiken.

Every reader is ``read_xxx(data: bytes) -> ReadResult``; every writer is
``write_xxx(questions) -> bytes``. Both are pure Python: no Flask, no database.
"""
from __future__ import annotations

from lms.core import kinds

from .aiken import read_aiken, write_aiken
from .common import MAX_BYTES, MAX_QUESTIONS, ReadResult
from .gift import read_gift
from .gift_write import write_gift
from .tabular import read_csv, read_xlsx
from .tabular_write import template_xlsx, write_csv, write_xlsx

#: format name → reader
READERS = {"xlsx": read_xlsx, "csv": read_csv, "gift": read_gift, "aiken": read_aiken}
#: format name → writer
WRITERS = {"xlsx": write_xlsx, "csv": write_csv, "gift": write_gift, "aiken": write_aiken}
#: the question kinds each writer can hold (a writer raises ValueError for any other)
WRITABLE_KINDS = {
    "xlsx": frozenset(kinds.NAMES),
    "csv": frozenset(kinds.NAMES),
    "gift": frozenset(kinds.NAMES),
    "aiken": frozenset({"single"}),
}

__all__ = [
    "MAX_BYTES", "MAX_QUESTIONS", "READERS", "WRITABLE_KINDS", "WRITERS", "ReadResult",
    "read_aiken", "read_csv", "read_gift", "read_xlsx", "template_xlsx", "write_aiken",
    "write_csv", "write_gift", "write_xlsx",
]
