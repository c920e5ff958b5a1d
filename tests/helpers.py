"""Helpers shared by test folders: plain functions and data, no fixtures (those live in
tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

#: the project's own GIFT examples: every construct the reader takes, and every kind it refuses
GIFT_EXAMPLES = Path(__file__).resolve().parent / "quizzes" / "formats" / "examples" / "fieldside.gift"
