"""`flask courses validate|import|export` through the CLI runner."""
from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from lms.courses.models import Course
from lms.courses.packs import read_pack
from lms.extensions import db

from .conftest import COURSES, SHIPPED, media_pack_files, table_counts, write_files

PROBLEM = re.compile(r"^[\w./-]+:\d+: \S")


def run(runner, *args):
    return runner.invoke(args=["courses", *map(str, args)])


def test_validate_the_shipped_modules(runner):
    result = run(runner, "validate", COURSES)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "OK"


@pytest.mark.parametrize(("rel", "old", "new", "where"), [
    ("lessons/second.md", "answer: B", "answer: F", "media-demo/lessons/second.md:"),
    ("course.yaml", "category: 实用技术", "category: 娱乐", "media-demo/course.yaml:3:"),
    ("lessons/intro.md", "minutes: 3", "minutes: 3\nsurprise: 1", "media-demo/lessons/intro.md:"),
    ("lessons/intro.md", "audio: media/read.mp3", "audio: ../../etc/passwd.mp3",
     "media-demo/lessons/intro.md:5:"),
    ("quizzes/final.yaml", "id: final-q2", "id: final-q1", "media-demo/quizzes/final.yaml:"),
])
def test_validate_and_import_print_path_line_message_and_exit_1(runner, tmp_path, rel, old, new,
                                                                 where):
    files = media_pack_files()
    assert old in files[rel]
    files[rel] = files[rel].replace(old, new)
    folder = write_files(tmp_path / "media-demo", files)
    before = table_counts()
    for command in ("validate", "import"):
        result = run(runner, command, folder)
        assert result.exit_code == 1, (command, result.output)
        lines = [line for line in result.output.splitlines() if PROBLEM.match(line)]
        assert lines and any(line.startswith(where) for line in lines), result.output
    assert table_counts() == before


def test_every_problem_is_printed_at_once(runner, tmp_path):
    files = media_pack_files()
    files["lessons/second.md"] = files["lessons/second.md"].replace("answer: B", "answer: F")
    files["course.yaml"] = files["course.yaml"].replace("category: 实用技术", "category: 娱乐")
    folder = write_files(tmp_path / "media-demo", files)
    result = run(runner, "validate", folder)
    assert result.exit_code == 1
    assert len([line for line in result.output.splitlines() if PROBLEM.match(line)]) == 2


def test_import_with_one_broken_pack_imports_none(runner, tmp_path):
    shutil.copytree(COURSES, tmp_path / "packs")
    broken = tmp_path / "packs" / "cungangbu-nengli" / "course.yaml"
    broken.write_text(broken.read_text(encoding="utf-8") + "extra: 1\n", encoding="utf-8")
    result = run(runner, "import", tmp_path / "packs")
    assert result.exit_code == 1
    assert "cungangbu-nengli/course.yaml:" in result.output
    assert "没有导入任何课程" in result.output
    assert db.session.scalar(select(Course.id)) is None


def test_import_twice_then_export_then_import(runner, tmp_path):
    result = run(runner, "import", COURSES)
    assert result.exit_code == 0, result.output
    assert sorted(re.findall(r"^([a-z-]+): 新建（第 1 版）", result.output, re.M)) == SHIPPED
    counts = table_counts()
    result = run(runner, "import", COURSES)
    assert result.output.count("无变化（第 1 版）") == 3
    assert table_counts() == counts

    for slug in SHIPPED:
        result = run(runner, "export", slug, tmp_path / "out")
        assert result.exit_code == 0, result.output
        assert f"已导出到 {tmp_path / 'out' / slug}" in result.output
        assert read_pack(tmp_path / "out" / slug).problems == []
    result = run(runner, "validate", tmp_path / "out")
    assert result.exit_code == 0 and "OK" in result.output
    result = run(runner, "import", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert result.output.count("无变化（第 1 版）") == 3
    assert table_counts() == counts


def test_export_refuses_to_overwrite_unless_asked(runner, tmp_path, media_pack):
    assert run(runner, "import", media_pack).exit_code == 0
    assert run(runner, "export", "media-demo", tmp_path / "out").exit_code == 0
    again = run(runner, "export", "media-demo", tmp_path / "out")
    assert again.exit_code == 1 and "错误" in again.output
    replaced = run(runner, "export", "--replace", "media-demo", tmp_path / "out")
    assert replaced.exit_code == 0, replaced.output
    assert (tmp_path / "out/media-demo/media/boat.png").read_bytes() == \
        (media_pack / "media/boat.png").read_bytes()
    assert run(runner, "import", tmp_path / "out/media-demo").output.startswith(
        "media-demo: 无变化")


def test_export_of_an_unknown_course(runner, tmp_path):
    result = run(runner, "export", "nope", tmp_path)
    assert result.exit_code == 1 and "没有课程 nope" in result.output


def test_a_changed_pack_reports_the_new_version(runner, tmp_path):
    folder = shutil.copytree(COURSES / "xinxing-nongmin", tmp_path / "xinxing-nongmin")
    run(runner, "import", folder)
    lesson = folder / "lessons/04-jobs.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n补一句。\n", encoding="utf-8")
    result = run(runner, "import", folder)
    assert result.exit_code == 0
    assert result.output.startswith("xinxing-nongmin: 已更新（第 2 版）")
