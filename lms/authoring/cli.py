"""`flask courses validate|import|export`."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from lms.authoring import bp
from lms.authoring.pack_sync import course_to_pack, get_course, import_folders
from lms.core.errors import DomainError
from lms.courses import packs


@bp.cli.command("validate")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
def validate_command(paths):
    """Check course packs; print every problem as path:line: message, then the editorial
    warnings (docs/content-guide.md) as path:line: warning: message. Problems, including more
    学时 than the rule allows, exit 1; warnings alone do not."""
    from lms.courses.packs.review import review_paths

    review = review_paths(paths)
    for problem in review.problems:
        click.echo(str(problem))
    for warning in review.warnings:
        click.echo(_warning(warning))
    if review.problems:
        click.echo(f"{len(review.problems)} 个问题。", err=True)
        sys.exit(1)
    click.echo(f"OK（{len(review.warnings)} 条提醒）" if review.warnings else "OK")


def _warning(problem) -> str:
    where = f"{problem.path}:{problem.line}" if problem.line else problem.path
    return f"{where}: warning: {problem.message}"


@bp.cli.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
def import_command(paths):
    """Import course packs: all of them, or nothing when any has a problem."""
    try:
        outcomes = import_folders(paths)
    except DomainError as error:
        for problem in getattr(error, "problems", []):
            click.echo(problem, err=True)
        click.echo(f"错误：{error}", err=True)
        sys.exit(1)
    for outcome in outcomes:
        course = outcome.course
        state = "新建" if outcome.created else ("已更新" if outcome.changed else "无变化")
        click.echo(f"{course.slug}: {state}（第 {course.version} 版）{course.title}")
        for note in outcome.notes:
            click.echo(f"  提醒：{note}")


@bp.cli.command("export")
@click.argument("slug")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="overwrite DEST/SLUG if it exists")
def export_command(slug, dest, replace):
    """Write a course back as a pack folder DEST/SLUG."""
    try:
        course = get_course(slug)
        pack, media = course_to_pack(course)
        target = packs.write_pack(pack, dest, media, replace=replace)
    except (DomainError, ValueError, FileExistsError) as error:
        click.echo(f"错误：{error}", err=True)
        sys.exit(1)
    click.echo(f"已导出到 {target}")
