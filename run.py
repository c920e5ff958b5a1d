"""Start Fieldside: `python run.py [--port N] [--demo]`.

Serves on 127.0.0.1 with an embedded SQLite database in the instance folder (or DATABASE_URL).
A new database is migrated, gets an administrator (password printed once) and the courses in
courses/. `--demo` adds a demo county with an account for every role and prints how to sign in.
For production use gunicorn (docs/deploy.md): `gunicorn -c gunicorn.conf.py 'run:app'`.
"""
from __future__ import annotations

import argparse
import os

from lms import create_app

app = create_app()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="田埂课堂 · Fieldside")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--demo", action="store_true", help="add demo organisations and accounts")
    args = parser.parse_args(argv)
    with app.app_context():
        from lms.bootstrap import ensure_ready

        ensure_ready(app)
        if args.demo:
            from lms.demo import create_demo

            create_demo(app)
    print(f"田埂课堂已启动：http://{args.host}:{args.port}/")
    app.run(host=args.host, port=args.port, debug=False)


if __name__ == "__main__":
    main()
