"""What a server process loads at start-up: libraries that only authoring, QR codes or
spreadsheet exports need stay out until used (each gunicorn worker would otherwise carry them for
nothing; docs/architecture.md)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOADED_WHEN_USED = ("markdown_it", "nh3", "yaml", "segno", "openpyxl", "fpdf", "PIL")


def run_fresh(code: str, tmp_path) -> str:
    """``code`` in a fresh interpreter: this one has imported everything for other tests."""
    env = {**os.environ, "FIELDSIDE_INSTANCE": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT, env=env).stdout.strip()


def test_the_web_app_starts_without_the_libraries_loaded_when_used(tmp_path):
    code = ("import sys; from lms import create_app; create_app(); "
            f"print(sorted(m for m in {LOADED_WHEN_USED!r} if m in sys.modules))")
    assert run_fresh(code, tmp_path) == "[]"


def test_the_pack_reader_and_writer_load_when_first_named(tmp_path):
    code = ("import sys; from lms import create_app; create_app(); "
            "from lms.courses.packs import read_pack, validate_paths, write_pack; "
            "print(read_pack.__module__, validate_paths.__module__, write_pack.__module__, "
            "'yaml' in sys.modules, 'markdown_it' in sys.modules)")
    assert run_fresh(code, tmp_path) == (
        "lms.courses.packs.reader lms.courses.packs.reader lms.courses.packs.writer True True")


def test_a_name_the_packs_package_lacks_is_still_an_attribute_error():
    from lms.courses import packs

    with pytest.raises(AttributeError, match="no attribute 'read_everything'"):
        packs.read_everything  # noqa: B018
    with pytest.raises(ImportError):
        from lms.courses.packs import read_everything  # noqa: F401


def test_grading_receivers_are_connected_by_the_app_not_by_an_import(tmp_path):
    """Importing every package connects nothing; building the app connects progress's receivers,
    so grading a check outside an app (a script, a test without one) writes no credit by
    surprise, and inside one it always does."""
    code = ("import lms.models, lms.progress, lms.progress.services; "
            "from lms.quizzes import signals; "
            "sigs = (signals.lesson_check_graded, signals.final_quiz_graded, "
            "signals.final_quiz_passed); "
            "before = [len(s.receivers) for s in sigs]; "
            "from lms import create_app; create_app(); create_app(); "
            "after = [len(s.receivers) for s in sigs]; print(before, after)")
    # progress (credit) and reports (the xAPI statement, passed or failed), once each however
    # many apps are built
    assert run_fresh(code, tmp_path) == "[0, 0, 0] [2, 1, 1]"
