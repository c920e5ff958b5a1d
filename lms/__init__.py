"""田埂课堂 · Fieldside: the application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from lms import config

ROOT = Path(__file__).resolve().parent.parent


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: settings from the environment, then ``overrides`` on top."""
    folder = config.instance_path()
    app = Flask(__name__, instance_path=str(folder), instance_relative_config=True,
                template_folder=str(ROOT / "templates"))
    app.config.update(config.from_environment(folder))
    if overrides:
        app.config.update(overrides)
    register_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_signals(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    return app


def register_extensions(app: Flask) -> None:
    from sqlalchemy.orm import configure_mappers

    import lms.models  # noqa: F401  (every table known to Alembic and the app)
    from lms import database
    from lms.core.i18n import install_template_gettext
    from lms.extensions import babel, csrf, db, limiter, login_manager

    database.configure_engine_options(app)
    db.init_app(app)
    # now rather than on the first query, so that the workers forked from a preloaded app
    # (gunicorn.conf.py) share the configured mappers instead of each building its own
    configure_mappers()
    app.cli.add_command(database.migrate_command)  # `flask db …`, Flask-Migrate loaded on use
    from lms.backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale,
                   default_translation_directories=str(ROOT / "lms" / "translations"))
    install_template_gettext(app)
    login_manager.init_app(app)
    database.register_sqlite_pragmas(app)


def register_converters(app: Flask) -> None:
    from lms.core.boundary import BoundedIntConverter

    # before the blueprints: each rule takes its converters from the map when it is added
    app.url_map.converters["int"] = BoundedIntConverter


def register_blueprints(app: Flask) -> None:
    from lms.audit import bp as audit_bp
    from lms.auth import bp as auth_bp
    from lms.authoring import bp as authoring_bp
    from lms.core import bp as core_bp
    from lms.courses import bp as courses_bp
    from lms.meetings import bp as meetings_bp
    from lms.offline import bp as offline_bp
    from lms.orgs import bp as orgs_bp
    from lms.progress import bp as progress_bp
    from lms.quizzes import bp as quizzes_bp
    from lms.reports import bp as reports_bp

    for bp in (core_bp, audit_bp, auth_bp, orgs_bp, courses_bp, quizzes_bp, progress_bp,
               authoring_bp, meetings_bp, reports_bp, offline_bp):
        app.register_blueprint(bp)


def register_signals(app: Flask) -> None:
    """Connect each domain's receivers to the signals of the domains before it."""
    from lms.progress.batch import connect_signals as progress_batch_receivers
    from lms.progress.services import connect_signals as progress_receivers
    from lms.reports.certificates import connect_signals as reports_receivers
    from lms.reports.xapi import connect_signals as xapi_receivers

    progress_receivers()
    progress_batch_receivers()
    reports_receivers()
    xapi_receivers()


def register_request_hooks(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    from lms.core.boundary import refuse_control_characters
    from lms.core.web import set_security_headers

    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    # first of all before_request hooks: nothing else reads a request this refuses
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_control_characters)
    app.after_request(set_security_headers)


def register_errorhandlers(app: Flask) -> None:
    from sqlalchemy.exc import DataError

    from lms.core.boundary import refuse_bad_value
    from lms.core.files import DiskFull
    from lms.core.web import render_error

    for code in (400, 403, 404, 405, 409, 413, 429, 500):
        app.register_error_handler(code, render_error)
    # a number past the database's range (PostgreSQL: DataError; SQLite: OverflowError)
    app.register_error_handler(DataError, refuse_bad_value)
    app.register_error_handler(OverflowError, refuse_bad_value)
    app.register_error_handler(DiskFull, render_error)


def register_template_helpers(app: Flask) -> None:
    from lms.core import kinds, problems
    from lms.core.web import template_context

    app.context_processor(template_context)
    # globals, not context: the quiz macros are imported without context
    app.jinja_env.globals.update(question_kind=kinds.get,
                                 question_kind_groups=kinds.authoring_groups,
                                 problem_text=problems.translated, place_text=problems.place_text)


def _select_locale():
    from lms.core.web import select_locale

    return select_locale()
