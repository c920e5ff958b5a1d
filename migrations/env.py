"""Alembic environment: the app's own engine and metadata (run through Flask-Migrate)."""
import logging

from alembic import context
from flask import current_app

from lms.database import migration_lock

logger = logging.getLogger("alembic.env")
config = context.config
db = current_app.extensions["migrate"].db
engine = db.engine
config.set_main_option("sqlalchemy.url",
                       engine.url.render_as_string(hide_password=False).replace("%", "%%"))
configure_args = current_app.extensions["migrate"].configure_args


def run_migrations_offline():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=db.metadata, literal_binds=True, **configure_args)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty(context_, revision, directives):
        # `flask db migrate` with no model change writes no empty revision
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    # one process at a time: `flask db upgrade` started on two nodes at once migrates once
    # (the other waits, then finds the database at head); within the first start's own lock
    # (bootstrap.ensure_ready) this does not wait again
    with migration_lock(current_app), engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata,
                          process_revision_directives=skip_empty, **configure_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
