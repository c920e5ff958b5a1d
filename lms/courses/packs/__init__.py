"""Course packs: read a pack folder into plain data or into every problem it has, and write plain
data back to a folder in the same layout. Pure Python: no Flask, no database.

The format is ``docs/course-packs.md``; ``read_pack(write_pack(pack, dest))`` gives ``pack`` back.

The reader and the writer load on first use (PEP 562): they bring PyYAML and markdown-it, which
only pack imports, exports and the CLI need, while the model's limits are read by every form.
"""
from .model import (
    CATEGORIES,
    CheckData,
    LessonData,
    MediaFile,
    Pack,
    PackResult,
    Problem,
    QuizData,
    SourceRef,
)

_LAZY = {"read_pack": "reader", "validate_paths": "reader", "write_pack": "writer"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CATEGORIES",
    "CheckData",
    "LessonData",
    "MediaFile",
    "Pack",
    "PackResult",
    "Problem",
    "QuizData",
    "SourceRef",
    "read_pack",
    "validate_paths",
    "write_pack",
]
