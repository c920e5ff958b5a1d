"""Authoring: course packs in and out (`flask courses …`), and the trainer's editor."""
from flask import Blueprint

from lms.core.hooks import add_page_extra

bp = Blueprint("authoring", __name__, url_prefix="/authoring", cli_group="courses")


def _import_shipped_courses(app):
    """First start: load the packs in COURSES_DIR (the three report modules)."""
    from pathlib import Path

    import click

    from lms.authoring.pack_sync import import_folders

    folder = Path(app.config["COURSES_DIR"])
    if folder.is_dir() and any(folder.iterdir()):
        for outcome in import_folders([folder]):
            click.echo(f"已导入课程：{outcome.course.title}")


def _register_first_start(state):
    from lms.bootstrap import on_first_start

    on_first_start(state.app, _import_shipped_courses)


bp.record_once(_register_first_start)


def _media_extra(user, courses):
    """The media route (courses) asks whether ``user`` may edit a course holding a file: a
    draft's images and audio are its authors' until it is published."""
    from lms.authoring.permissions import can_edit

    return {"may_edit": any(course is not None and can_edit(user, course)
                            for course in courses)}


add_page_extra(bp, "media", _media_extra)

from lms.authoring import cli, models, questions_cli, views  # noqa: E402,F401
