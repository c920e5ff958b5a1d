"""`flask questions import FILE --course SLUG [--quiz final|LESSON-KEY] [--dry-run]`."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from lms.authoring import bp
from lms.authoring.bank_import import MODES, import_questions, plan_import
from lms.authoring.pack_sync import get_course
from lms.core import kinds
from lms.core.errors import DomainError
from lms.quizzes.formats import MAX_BYTES, READERS

questions_cli = AppGroup("questions", help="Question banks: import XLSX/CSV/GIFT/Aiken files.")

def _show(plan) -> None:
    for item in plan.items:
        q = item.question
        renamed = f"（原编号 {item.renamed_from}）" if item.renamed_from else ""
        state = {"new": "新增", "update": "更新", "same": "无变化"}[item.action]
        stem = " ".join(q.stem.split())
        click.echo(f"taken    {item.location}: {q.key}{renamed} {kinds.get(q.kind).label} {state} "
                   f"{stem[:40]}")
    for line in plan.refused:
        click.echo(f"refused  {line}")
    for line in plan.notes:
        click.echo(f"note     {line}")
    for line in plan.problems:
        click.echo(f"problem  {line}", err=True)


@questions_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "slug", required=True, help="the course's slug")
@click.option("--quiz", "target", default="final", show_default=True,
              help="final, or the key of the lesson whose check gets the questions")
@click.option("--format", "fmt", type=click.Choice(sorted(READERS)), default=None,
              help="default: by extension (.txt: GIFT when it has braces, else Aiken)")
@click.option("--mode", type=click.Choice(MODES), default="add", show_default=True,
              help="add: every question new; update: same key in this quiz is changed")
@click.option("--dry-run", is_flag=True, help="read and report, write nothing")
def import_command(file: Path, slug: str, target: str, fmt, mode: str, dry_run: bool):
    """Import a question bank; nothing at all when anything is refused or wrong (exit 1)."""
    if file.stat().st_size > MAX_BYTES:
        click.echo(f"错误：文件太大，上限是 {MAX_BYTES // 1024 // 1024} MB。没有导入任何题目。", err=True)
        sys.exit(1)
    data = file.read_bytes()
    try:
        course = get_course(slug)
        plan = plan_import(course, target, data, file.name, fmt or "", mode)
    except DomainError as error:
        click.echo(f"错误：{error}", err=True)
        sys.exit(1)
    _show(plan)
    summary = (f"{plan.target_label}：可导入 {len(plan.items)} 题，拒绝 {len(plan.refused)} 题，"
               f"问题 {len(plan.problems)} 处。")
    if plan.problems or plan.refused or not plan.items:
        click.echo(summary + "没有导入任何题目。", err=True)
        sys.exit(1)
    if dry_run:
        click.echo(summary + "（试运行，没有写入）")
        return
    try:
        plan = import_questions(None, course, target, data, file.name, fmt or "", mode,
                                allow_refused=False)
    except DomainError as error:
        click.echo(f"错误：{error}", err=True)
        for problem in getattr(error, "problems", []):
            click.echo(f"problem  {problem}", err=True)
        sys.exit(1)
    click.echo(f"已导入到 {course.slug} 的{plan.target_label}：新增 {plan.count('new')} 题，"
               f"更新 {plan.count('update')} 题。")


bp.record_once(lambda state: state.app.cli.add_command(questions_cli))
