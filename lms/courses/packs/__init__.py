"""Course packs: read a pack folder into plain data or into every problem it has, and write plain
data back to a folder in the same layout. Pure Python: no Flask, no database.

The format is ``docs/course-packs.md``; ``read_pack(write_pack(pack, dest))`` gives ``pack`` back.
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
)
from .reader import read_pack, validate_paths
from .writer import write_pack

__all__ = [
    "CATEGORIES",
    "CheckData",
    "LessonData",
    "MediaFile",
    "Pack",
    "PackResult",
    "Problem",
    "QuizData",
    "read_pack",
    "validate_paths",
    "write_pack",
]
