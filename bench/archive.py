"""Documents on a county-sized dataset (issue 15): one branch's year archive, every branch's
archive under the county with `flask reports archive` itself, and a member's 学时证明 and a
结业证书: time, size, and the command's memory while it builds the county.

    .venv/bin/python bench/archive.py --members 20000   # SQLite in a temp dir: 400 branches
    .venv/bin/python bench/archive.py                   # 24,000 members: 480 branches
    .venv/bin/python bench/archive.py --members 4000    # a quick run
    .venv/bin/python bench/archive.py --keep DIR --seed-only   # seed once into DIR …
    .venv/bin/python bench/archive.py --reuse DIR               # … and measure on it again

The county is seeded by bench/county.py's seeder (one branch for every 50 members, 20
townships). Timed in process on the seeded database: the first branch in the process (the font
read then), then the branch whose own members are nearest 60 and the largest one, medians of
--reps after that. The whole county is then built by the real command in its own process, as a
deployment runs it, with its VmRSS read every 2 s; a second run shows that it resumes (every
branch skipped). Exits 1 when the county takes over 10 minutes or a branch fails.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))




def timed(fn, reps: int):
    times, result = [], None
    for _ in range(reps):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def county_run(database, folder: Path, code: str, year: int) -> int:
    """`flask reports archive` for the whole county, as a deployment runs it (its own process),
    twice (the second run finds every branch written and skips it). Its VmRSS is read every
    2 s, with the number of branches written by then."""
    import os
    import subprocess

    import county

    dest = folder / "archive"
    shutil.rmtree(dest, ignore_errors=True)
    env = {**os.environ, "FLASK_APP": "run.py", "DATABASE_URL": database.url,
           "FIELDSIDE_INSTANCE": str(folder / "instance"), "SECRET_KEY": county.SECRET_KEY}
    command = [sys.executable, "-m", "flask", "reports", "archive", "--org", code, "--year",
               str(year), str(dest)]
    print(f"$ flask reports archive --org {code} --year {year} DEST  (load average "
          f"{load_average()})", flush=True)
    results = []
    for _ in range(2):
        samples, start = [], time.perf_counter()
        process = subprocess.Popen(command, cwd=BENCH.parent, env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            try:
                rss = next(int(line.split()[1]) / 1024 for line in status.read_text()
                           .splitlines() if line.startswith("VmRSS:"))
            except (OSError, StopIteration):
                break
            done = len(list(dest.glob("*.xlsx"))) if dest.exists() else 0
            samples.append((time.perf_counter() - start, done, rss))
            time.sleep(2)
        out = process.communicate()[0]
        results.append((time.perf_counter() - start, process.returncode, out, samples))
    seconds, code_, out, samples = results[0]
    print(out.strip())
    branches = len(list(dest.glob("*.xlsx")))
    print(f"county: {branches} branches in {seconds:.0f} s ({seconds / 60:.1f} min, "
          f"{seconds / max(branches, 1):.2f} s a branch, the process's start included); "
          f"exit {code_}; load average at the end {load_average()}")
    print(f"{'s':>6} {'branches':>9} {'VmRSS MB':>9}")
    shown = -1
    for at, done, rss in samples:  # about one line per tenth of the branches
        if done * 10 // max(branches, 1) > shown or (at, done, rss) == samples[-1]:
            shown = done * 10 // max(branches, 1)
            print(f"{at:6.0f} {done:9d} {rss:9.0f}")
    working = [rss for _, done, rss in samples if done >= branches // 10]
    if len(working) >= 4:
        half = len(working) // 2
        first, second = working[:half], working[half:]
        print(f"VmRSS while building (from the first tenth on): lowest {min(working):.0f}, "
              f"highest {max(working):.0f} MB; median of the first half "
              f"{statistics.median(first):.0f}, of the second half "
              f"{statistics.median(second):.0f} MB")
    again, again_code, again_out, _ = results[1]
    print(f"rerun: {again:.1f} s, exit {again_code}: {again_out.strip().splitlines()[-1]}")
    return 1 if code_ or seconds > 600 else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=24_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--sample", metavar="DIR", help="also save one branch's PDF and XLSX "
                        "and a certificate there, to look at")
    parser.add_argument("--keep", metavar="DIR", help="seed into DIR and keep it (a later run "
                        "can --reuse it)")
    parser.add_argument("--reuse", metavar="DIR", help="measure on the county seeded before "
                        "with --keep DIR, without seeding")
    parser.add_argument("--seed-only", action="store_true", help="with --keep: seed, then stop")
    args = parser.parse_args(argv)
    import county

    if args.reuse:
        folder = Path(args.reuse)
    elif args.keep:
        folder = Path(args.keep)
        folder.mkdir(parents=True)
    else:
        folder = Path(tempfile.mkdtemp(prefix="fieldside-archive-"))
    database = county.Database("sqlite", folder)
    try:
        database.create()
        app = county.build_app(database, folder)
        import flask_migrate
        from flask_babel import force_locale
        from sqlalchemy import func, select

        from lms.auth.models import User
        from lms.database import bind_migrate
        from lms.extensions import db
        from lms.orgs.models import Organization
        from lms.progress import years

        bind_migrate(app)
        with app.app_context():
            if args.reuse:
                county_id = db.session.scalar(select(Organization.id).where(
                    Organization.kind == "county").order_by(Organization.id).limit(1))
            else:
                flask_migrate.upgrade()
                county.create_missing_indexes()
                print(f"Seeding {args.members:,} members …", flush=True)
                seeded = county.CountySeeder(app, args.members, 100).run()
                print(f"Seeded in {seeded.seconds:.0f} s", flush=True)
                county_id = seeded.county_id
                if args.seed_only:
                    return 0
        with app.test_request_context(), force_locale("zh"):
            from lms.progress import queries
            from lms.progress.forms import CATEGORY_LABELS
            from lms.reports import archive, certificates, pdf

            year = years.this_year()
            # the branch whose own members are nearest 60 (the budget: one branch of 60
            # members ≤ 3 s), and the largest one for scale
            sizes = db.session.execute(
                select(User.org_id, func.count()).join(Organization,
                                                       Organization.id == User.org_id)
                .where(User.status.isnot(None), Organization.kind == "branch")
                .group_by(User.org_id)).all()
            branch_id = min(sizes, key=lambda row: (abs(row[1] - 60), row[0]))[0]
            largest_id = max(sizes, key=lambda row: (row[1], -row[0]))[0]
            branch = db.session.get(Organization, branch_id)
            start = time.perf_counter()
            data = archive.collect(branch, year)
            archive.branch_pdf(data)
            archive.branch_xlsx(data)
            print(f"first branch in the process (the font read once): "
                  f"{time.perf_counter() - start:.2f} s", flush=True)
            t_collect, data = timed(lambda: archive.collect(branch, year), args.reps)
            t_pdf, pdf_bytes = timed(lambda: archive.branch_pdf(data), args.reps)
            t_xlsx, xlsx_bytes = timed(lambda: archive.branch_xlsx(data), args.reps)
            lines = sum(len(v) for v in data.ledgers.values())
            print(f"one branch ({len(data.members)} members in its subtree, {lines} ledger "
                  f"lines): queries {t_collect * 1000:.0f} ms, PDF {t_pdf * 1000:.0f} ms "
                  f"({len(pdf_bytes) / 1024:.0f} KB), XLSX {t_xlsx * 1000:.0f} ms "
                  f"({len(xlsx_bytes) / 1024:.0f} KB), all "
                  f"{(t_collect + t_pdf + t_xlsx):.2f} s (median of {args.reps})")
            if args.sample:
                Path(args.sample).mkdir(parents=True, exist_ok=True)
                (Path(args.sample) / "branch.pdf").write_bytes(pdf_bytes)
                (Path(args.sample) / "branch.xlsx").write_bytes(xlsx_bytes)
            largest = db.session.get(Organization, largest_id)

            def whole(org):
                found = archive.collect(org, year)
                return found, archive.branch_pdf(found), archive.branch_xlsx(found)

            t_big, big = timed(lambda: whole(largest), args.reps)
            print(f"the largest branch ({len(big[0].members)} members in its subtree): "
                  f"{t_big:.2f} s (median of {args.reps})", flush=True)
            member = db.session.scalar(select(User).where(User.org_id == branch.id,
                                                          User.status.isnot(None)).limit(1))
            t_rec, rec = timed(lambda: pdf.study_record(
                member_name=member.name, org_name=branch.name, status="正式党员", year=year,
                standing=queries.standing(member, year), lines=queries.ledger(member.id, year),
                category_labels=CATEGORY_LABELS, issued_on="2026-12-04"), args.reps)
            from lms.auth.models import User as Member
            from lms.courses.models import Course
            from lms.progress.models import CourseCompletion
            from lms.reports.models import Certificate

            cert = db.session.scalar(select(Certificate).limit(1))
            if cert is None:  # the seeder writes completions, not certificates: issue one
                completion = db.session.scalar(select(CourseCompletion).limit(1))
                certificates.on_course_completed(
                    completion, user=db.session.get(Member, completion.user_id),
                    course=db.session.get(Course, completion.course_id))
                db.session.commit()
                cert = db.session.scalar(select(Certificate).limit(1))
            t_cert, cert_pdf = timed(lambda: pdf.certificate(
                cert, "https://example.org/verify/" + cert.display_code), args.reps)
            if args.sample:
                (Path(args.sample) / "certificate.pdf").write_bytes(cert_pdf)
                (Path(args.sample) / "record.pdf").write_bytes(rec)
            print(f"学时证明 {t_rec * 1000:.0f} ms, {len(rec) / 1024:.0f} KB "
                  f"({len(queries.ledger(member.id, year))} lines); 结业证书 "
                  f"{t_cert * 1000:.0f} ms, {len(cert_pdf) / 1024:.0f} KB")
            county_code = db.session.get(Organization, county_id).code
        return county_run(database, folder, county_code, year)
    finally:
        if not (args.keep or args.reuse):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
