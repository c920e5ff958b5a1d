"""gunicorn settings every Fieldside server needs, whatever its size (docs/deploy.md):

    .venv/bin/gunicorn -c gunicorn.conf.py --workers 3 --bind 127.0.0.1:8000 'run:app'

The address and the number of workers belong to the machine, so they stay on the command line
(which wins over this file). gunicorn also reads this file by itself when started in this folder.
"""
import gc

#: import the app once, in the master, and fork the workers from it: they start out sharing the
#: master's memory (the imported code, the models, the configured mappers) instead of each
#: importing its own copy
preload_app = True


def when_ready(server):
    """In the master, once the app is loaded, before the first worker is forked."""
    # The member lists sort names by pinyin. pypinyin's dictionaries take ~45 MB once used: used
    # here first, the workers share the master's copy instead of each loading its own
    # (bench/pinyin_memory.py).
    from lms.reports.tables import pinyin_key

    pinyin_key("田埂课堂")


def pre_fork(server, worker):
    """In the master, just before each worker is forked."""
    # Python's cycle collector writes into every object it examines, and each write copies a
    # shared page into the worker. Frozen objects are never examined again (gc.freeze), so a
    # worker's collections leave the master's objects, and their pages, alone. (The reference
    # counts a request writes still copy the pages it touches: ~25 MB a worker, bench/README.md.)
    gc.freeze()


def post_fork(server, worker):
    """In the new worker, before it serves anything."""
    # A database connection opened in the master would now be held by every worker at once (two
    # processes on one socket). Building the app opens none, but should that change, each worker
    # starts its own pool here; close=False leaves the inherited connections to the master.
    app = server.app.callable
    sqlalchemy = getattr(app, "extensions", {}).get("sqlalchemy")
    if sqlalchemy is not None:
        with app.app_context():
            for engine in sqlalchemy.engines.values():
                engine.dispose(close=False)
