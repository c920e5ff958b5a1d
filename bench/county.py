"""The county-scale benchmark (issue 4, PERFORMANCE.md budgets): server time, query counts,
throughput and memory on a county-sized dataset, on SQLite or PostgreSQL.

    .venv/bin/python bench/county.py                      # SQLite in a temp dir, 20,000 members
    .venv/bin/python bench/county.py --db postgresql      # its own database on 127.0.0.1
    .venv/bin/python bench/county.py --members 2000 --reps 50 --duration 5   # a quick run

1. A fresh database (SQLite file in a temp dir, or ``fieldside_bench_<pid>`` created as user
   postgres on 127.0.0.1 and dropped at the end), the migrations (``flask_migrate.upgrade``) and
   the three courses of ``courses/``.
2. A county seeded with bulk inserts (SQLAlchemy Core ``insert()`` with lists of dicts on
   SQLite, ``COPY`` on PostgreSQL, in batches): 1 county, 20 townships, 400 branches and their
   党小组, the members, a secretary and a 组织委员 per branch, synthetic courses beside the
   three real ones (lessons only, no quizzes) so that lesson progress reaches about 2 million
   rows, enrolments, submitted attempts with their responses (lesson checks and finals, snapshots
   built once per quiz and reused), the 错题本, completions and the 学时 ledger across the year,
   and required-course assignments.
3. Server time, in-process through Flask's test client (the wall time of one WSGI call), p50 and
   p95 over ``--reps`` requests after a warm-up, with the SQL statements each one ran: 我的学习,
   a lesson page, a lesson-check submit and a final-quiz submit (each a fresh attempt: start and
   save untimed, the submit POST timed), a branch view as its secretary, the county view as the
   county's 组织委员.
4. Throughput and memory: the app under gunicorn (the repository's gunicorn.conf.py, 2 sync
   workers on 127.0.0.1, same database) and bench/bare_app.py (a bare Flask page rendering a
   small template from SQLite) served the same way, both loaded in turn by bench/loadgen.py in a
   second process (16 threads, 10 s, median of 3 runs each); the ratio of the lesson page's
   requests/s to the bare page's, and the memory of the app's gunicorn master and workers after
   the load: PSS summed (the goal's figure: each shared page counted once), VmRSS summed beside
   it, and both for the two workers alone. For scale, in the same runs: ``/healthz`` signed in
   (the floor), bench/stack_app.py (the fixed stack's smallest signed-in page) and
   bench/reads_only.py (the lesson page's own reads with no template rendered, checked in
   process to run as many statements as the real page).

Exits 1 when a budget is broken, 2 when the run itself could not be made.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-county-2026"
SECRET_KEY = "bench-only-county-secret"
PG_SERVER = "postgres@127.0.0.1:5432"

#: budgets (PERFORMANCE.md); member pages and submits, the county view, throughput, memory
MEMBER_P95_MS = 50.0
COUNTY_P95_MS = 300.0
RATIO_GOAL = 0.50
#: on the PSS of master + 2 workers summed, the server's real share of RAM (bench/README.md)
MEMORY_GOAL_MB = 100.0
#: how both pages are served: preload_app and gc.freeze (what docs/deploy.md runs)
GUNICORN_CONF = ROOT / "gunicorn.conf.py"

#: the shipped courses, as the seeding plan names them
DANGKE, CUNGANGBU, XINXING = "dangke-tianjian", "cungangbu-nengli", "xinxing-nongmin"
#: about this many lesson-progress rows per member (2,000,000 for 20,000 members)
PROGRESS_PER_MEMBER = 100
SYNTHETIC_LESSONS = 6
HISTORY_DAYS = 420

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文"
GIVEN = "建国华明丽芳桂英秀兰志强春生海军红梅小平玉珍德福金水云霞永红伟勇敏静洪涛国庆美玲根稻花阿水大海光荣淑珍长青"
TOWNS = "清溪 白沙 石门 河口 梅林 桃源 青山 龙潭 柳塘 杨柳 双桥 新田 枫林 竹园 金坑 茶岭 凤凰 官渡 马头 太平 高坪 长岭 黄土 水口 花桥".split()
SYNTH_TOPICS = ["党章学习", "乡村振兴政策解读", "基层治理实务", "村级财务公开", "农村电商入门",
                "茶叶种植技术", "水稻病虫害防治", "生猪养殖防疫", "农村法治宣传", "防汛抗旱知识",
                "人居环境整治", "移风易俗", "党史故事", "红色家风", "信访工作方法",
                "农产品质量安全", "农机安全使用", "林下经济", "乡村旅游", "合作社经营",
                "集体经济发展", "安全生产", "禁毒知识", "网络安全常识", "医保政策问答",
                "养老服务", "教育帮扶", "就业创业指导", "土地承包政策", "宅基地管理",
                "森林防火", "渔业资源保护", "普通话与礼仪", "应急救护", "垃圾分类"]
CATEGORIES = ("理论", "政策", "实用技术", "干部", "农民")


def log(text: str) -> None:
    print(text, flush=True)


# ---- the database -----------------------------------------------------------------------------

class Database:
    """A fresh database of the chosen kind, created here and dropped (or deleted) at the end."""

    def __init__(self, kind: str, folder: Path):
        self.kind, self.folder = kind, folder
        self.name = f"fieldside_bench_{os.getpid()}"
        self.created = False
        if kind == "sqlite":
            self.path = folder / "county.db"
            self.url = f"sqlite:///{self.path}"
        else:
            self.url = f"postgresql+psycopg://{PG_SERVER}/{self.name}"

    def create(self) -> None:
        if self.kind == "sqlite":
            self.created = True
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(f"postgresql://{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(self.name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True

    def drop(self) -> None:
        if not self.created or self.kind == "sqlite":
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(f"postgresql://{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(self.name)))
        self.created = False

    def size(self) -> str:
        if self.kind == "sqlite":
            total = sum(p.stat().st_size for p in self.folder.glob("county.db*"))
            return f"{total / 1e6:,.0f} MB on disk"
        import psycopg

        with psycopg.connect(f"postgresql://{PG_SERVER}/{self.name}") as conn:
            value = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        return f"{value / 1e6:,.0f} MB on disk"


def build_app(database: Database, folder: Path):
    os.environ["FIELDSIDE_INSTANCE"] = str(folder / "instance")
    os.environ.pop("DATABASE_URL", None)
    from lms import create_app

    # CSRF is off for the in-process client only (it posts forms without fetching a token);
    # the gunicorn app keeps it on and the load generator signs in through the real form
    return create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": SECRET_KEY,
                       "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def create_missing_indexes() -> list[str]:
    """What ``db.create_all`` would add for indexes: those the models declare and the migrated
    database lacks (a model change awaiting its Alembic migration). Returns their names."""
    from sqlalchemy import inspect

    from lms.extensions import db

    added = []
    with db.engine.begin() as conn:
        inspector = inspect(conn)
        for table in db.metadata.sorted_tables:
            present = {ix["name"] for ix in inspector.get_indexes(table.name)}
            for index in sorted(table.indexes, key=lambda ix: ix.name):
                if index.name not in present:
                    index.create(conn)
                    added.append(f"{table.name}.{index.name}")
    return added


# ---- bulk loading -----------------------------------------------------------------------------

class Loader:
    """Buffers rows per table and writes them in batches, parents before children.

    SQLite: SQLAlchemy Core ``insert(table)`` with a list of dicts (one executemany per batch,
    one transaction per flush). PostgreSQL: ``COPY … FROM STDIN`` through psycopg.
    """

    def __init__(self, engine, tables: list, batch: int = 50_000):
        self.engine, self.order = engine, tables
        self.pg = engine.dialect.name == "postgresql"
        self.batch = batch
        self.buffers: dict[str, list[dict]] = defaultdict(list)
        self.counts: Counter = Counter()
        self.pending = 0
        self.tables = {t.name: t for t in tables}

    def add(self, table: str, row: dict) -> None:
        self.buffers[table].append(row)
        self.pending += 1
        if self.pending >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table in self.order:
            rows = self.buffers.pop(table.name, None)
            if rows:
                self._write(table, rows)
                self.counts[table.name] += len(rows)
        self.pending = 0

    def _defaults(self, table, given) -> dict:
        """The Python-side defaults of the columns a row leaves out (COPY applies none), so that
        a column added to a model later does not break the seeding."""
        out = {}
        for column in table.columns:
            default = column.default
            if column.name in given or default is None or column.primary_key:
                continue
            if default.is_scalar:
                out[column.name] = default.arg
            elif default.is_callable:
                out[column.name] = default.arg(None)
        return out

    def _write(self, table, rows: list[dict]) -> None:
        from sqlalchemy import JSON, insert

        missing = self._defaults(table, rows[0])
        if missing:
            rows = [{**missing, **row} for row in rows]
        if not self.pg:
            with self.engine.begin() as conn:
                conn.execute(insert(table), rows)
            return
        columns = list(rows[0])
        json_columns = {name for name in columns if isinstance(table.c[name].type, JSON)}
        names = ", ".join(f'"{name}"' for name in columns)
        raw = self.engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row([json.dumps(row[c]) if c in json_columns else row[c]
                                        for c in columns])
            raw.commit()
        finally:
            raw.close()


@dataclass
class Variant:
    """One presented version of a quiz (a snapshot), with right and wrong answers for it."""

    entries: list
    right: list  # (stored answer, answer text) per entry
    wrong: list
    points: list


@dataclass
class QuizInfo:
    id: int
    course_id: int
    lesson_id: int | None
    mastery: int | None
    pass_percent: int
    scoring: str
    variants: list = field(default_factory=list)


@dataclass
class CourseInfo:
    id: int
    slug: str
    title: str
    credit: float
    version: int
    real: bool
    lessons: list = field(default_factory=list)  # (id, minutes)
    checks: dict = field(default_factory=dict)  # lesson id → QuizInfo
    final: QuizInfo | None = None
    enrol_p: float = 0.85


def stored_answer(entry: dict, right: bool) -> list:
    """A stored answer (shown-order terms) that is right, or wrong, for the entry."""
    kind, answer, count = entry["kind"], entry["answer"], len(entry["options"])
    if kind in ("single", "multiple"):
        if right:
            return sorted(answer) if kind == "multiple" else [answer[0]]
        other = [i for i in range(count) if i not in answer]
        return other[:1]
    if kind == "truefalse":
        return [answer[0]] if right else [not answer[0]]
    return [answer[0]] if right else ["不知道"]


def form_answer(entry: dict) -> list[str]:
    """The right answer as the page's form posts it."""
    kind, answer = entry["kind"], entry["answer"]
    if kind == "single":
        return [str(answer[0])]
    if kind == "multiple":
        return [str(i) for i in answer]
    if kind == "truefalse":
        return ["true" if answer[0] else "false"]
    return [str(answer[0])]


@dataclass
class Seeded:
    """What the measurements need to know about the seeded county."""

    county_id: int
    branch_id: int
    branch_members: int
    history_user: str
    secretary: str
    organiser: str
    lesson_url: str
    check_quiz: int
    final_quiz: int
    check_pool: list
    final_pool: list
    counts: dict
    seconds: float
    synthetic_courses: int


class CountySeeder:
    def __init__(self, app, members: int, pool: int, seed: int = 2026):
        from lms.extensions import db

        self.app, self.db = app, db
        self.members, self.pool = members, pool
        self.rng = random.Random(seed)
        self.now = datetime.now(UTC).replace(tzinfo=None).replace(microsecond=0)
        self.zone = ZoneInfo(app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
        self.ids: dict[str, int] = {}

    # -- helpers --
    def next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def year_of(self, moment: datetime) -> int:
        return moment.replace(tzinfo=UTC).astimezone(self.zone).year

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def name(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))

    # -- the parts --
    def run(self) -> Seeded:
        from sqlalchemy import func, select

        from lms.auth.passwords import hash_password
        from lms.authoring.pack_sync import import_folders

        started = time.perf_counter()
        db = self.db
        import_folders([Path(self.app.config["COURSES_DIR"])])
        db.session.remove()
        self.password_hash = hash_password(PASSWORD)
        tables = [db.metadata.tables[name] for name in (
            "organizations", "users", "memberships", "courses", "lessons",
            "course_assignments", "enrollments", "lesson_progress", "attempts", "responses",
            "wrong_answers", "course_completions", "study_hours")]
        with db.engine.connect() as conn:
            for table in tables:
                self.ids[table.name] = conn.execute(
                    select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        self.loader = Loader(db.engine, tables)
        self.make_tree()
        self.make_courses()
        self.load_quizzes()
        seeded = self.make_people_and_history()
        self.loader.flush()
        self.finish()
        seeded.counts = self.counts()
        seeded.seconds = time.perf_counter() - started
        return seeded

    def make_tree(self) -> None:
        branches = max(4, round(self.members / 50))
        townships = max(2, round(branches / 20))
        add, now = self.loader.add, self.now

        def org(code, name, kind, parent):
            ident = self.next_id("organizations")
            path = f"{parent[1] if parent else '/'}{ident}/"
            add("organizations", {"id": ident, "parent_id": parent[0] if parent else None,
                                  "kind": kind, "name": name, "code": code, "path": path,
                                  "depth": path.count("/") - 2, "created_at": now,
                                  "updated_at": now})
            return ident, path

        self.county = org("BENCH", "示范县委", "county", None)
        self.townships, self.branches = [], []
        for t in range(townships):
            town_name = TOWNS[t % len(TOWNS)] + ("" if t < len(TOWNS) else str(t))
            town = org(f"BENCH-T{t:02d}", f"{town_name}镇党委", "township", self.county)
            self.townships.append(town)
        for b in range(branches):
            town = self.townships[b % townships]
            ident, path = org(f"BENCH-B{b:03d}", f"第{b + 1}村党支部", "branch", town)
            groups = []
            if b % 4 == 0:  # a quarter of the branches have 党小组
                groups = [org(f"BENCH-B{b:03d}-G{g}", f"第{b + 1}村第{g}党小组", "group",
                              (ident, path))[0] for g in (1, 2, 3)]
            self.branches.append({"id": ident, "path": path, "groups": groups, "town": town,
                                  "members": []})

    def make_courses(self) -> None:
        """The three real courses, plus synthetic ones (lessons only) to reach the row count."""
        from sqlalchemy import select

        from lms.courses.models import Course, Lesson

        db = self.db
        self.courses: list[CourseInfo] = []
        real_p = {DANGKE: 0.97, CUNGANGBU: 0.9, XINXING: 0.7}
        sample_html = ""
        for course in db.session.scalars(select(Course).order_by(Course.id)):
            info = CourseInfo(course.id, course.slug, course.title,
                              float(course.credit_hours or 0), course.version, True,
                              enrol_p=real_p.get(course.slug, 0.6))
            rows = db.session.execute(select(Lesson.id, Lesson.minutes, Lesson.html).where(
                Lesson.course_id == course.id, Lesson.archived.is_(False))
                .order_by(Lesson.position)).all()
            info.lessons = [(r[0], r[1]) for r in rows]
            sample_html = sample_html or rows[0][2]
            self.courses.append(info)
        db.session.remove()
        self.synthetic = self.synthetic_count()
        add, now = self.loader.add, self.now
        for n in range(self.synthetic):
            ident = self.next_id("courses")
            topic = SYNTH_TOPICS[n % len(SYNTH_TOPICS)]
            title = topic if n < len(SYNTH_TOPICS) else f"{topic}（{n // len(SYNTH_TOPICS) + 1}）"
            credit = (1.0, 1.5, 2.0)[n % 3]
            add("courses", {"id": ident, "slug": f"bench-{n:03d}", "title": title,
                            "summary": f"{title}：示范县基准测试课程。", "category":
                            CATEGORIES[n % len(CATEGORIES)], "required": False,
                            "credit_hours": credit, "status": "published", "version": 1,
                            "owner_id": None, "audience_org_id": None, "pack_digest": "",
                            "published_at": self.ago(HISTORY_DAYS + 30), "created_at": now,
                            "updated_at": now})
            info = CourseInfo(ident, f"bench-{n:03d}", title, credit, 1, False, enrol_p=0.85)
            for position in range(1, SYNTHETIC_LESSONS + 1):
                lesson_id = self.next_id("lessons")
                minutes = 5 + (n + position) % 6
                add("lessons", {"id": lesson_id, "course_id": ident, "key": f"l{position}",
                                "position": position, "title": f"{title} 第{position}课",
                                "minutes": minutes, "body": "", "html": sample_html,
                                "audio": None, "version": 1, "archived": False,
                                "created_at": now, "updated_at": now})
                info.lessons.append((lesson_id, minutes))
            self.courses.append(info)
        self.loader.flush()

    def synthetic_count(self) -> int:
        """How many synthetic courses give about PROGRESS_PER_MEMBER rows a member, from a dry
        run of the plan over a sample (rows a member = a + b × synthetic courses)."""
        sample = random.Random(7)
        real = synth = 0.0
        size = 2000
        for _ in range(size):
            active, engagement = self.person(sample)
            if not active:
                continue
            for course in self.courses:
                real += self.progress_rows(sample, course, engagement)
            synth += self.progress_rows(sample, CourseInfo(0, "", "", 1, 1, False,
                                                           lessons=[(0, 5)] * SYNTHETIC_LESSONS,
                                                           enrol_p=0.85), engagement)
        per_real, per_synth = real / size, synth / size
        return max(1, round((PROGRESS_PER_MEMBER - per_real) / per_synth))

    @staticmethod
    def person(rng) -> tuple[bool, float]:
        """(studies at all, engagement 0.55–1)."""
        return rng.random() >= 0.06, rng.uniform(0.55, 1.0)

    @staticmethod
    def course_plan(rng, course: CourseInfo, engagement: float):
        """None (not enrolled), or (lessons completed, started the next one)."""
        if rng.random() >= min(1.0, course.enrol_p * (engagement if not course.real else 1)):
            return None
        lessons = len(course.lessons)
        if rng.random() < (0.8 if course.real else 0.75):
            return lessons, False
        return rng.randrange(0, lessons), rng.random() < 0.6

    def progress_rows(self, rng, course, engagement) -> int:
        plan = self.course_plan(rng, course, engagement)
        if plan is None:
            return 0
        done, started = plan
        return done + (1 if started and done < len(course.lessons) else 0)

    def load_quizzes(self) -> None:
        """Four presented versions (snapshots) of every quiz, reused by the attempts."""
        from sqlalchemy import select

        from lms.quizzes import snapshot
        from lms.quizzes.models import Question, Quiz

        db = self.db
        by_course = {c.id: c for c in self.courses}
        questions = defaultdict(list)
        for q in db.session.scalars(select(Question).where(Question.archived.is_(False))
                                    .order_by(Question.position)):
            questions[q.quiz_id].append(q)
        rng = random.Random(11)
        for quiz in db.session.scalars(select(Quiz).where(Quiz.archived.is_(False))):
            info = QuizInfo(quiz.id, quiz.course_id, quiz.lesson_id, quiz.mastery_required,
                            quiz.pass_percent, quiz.multiple_scoring)
            bank = questions[quiz.id]
            for _ in range(4):
                drawn = snapshot.draw(bank, 0 if quiz.lesson_id else quiz.draw, {}, rng)
                entries = [snapshot.present(q, rng) for q in drawn]
                right = [stored_answer(e, True) for e in entries]
                wrong = [stored_answer(e, False) for e in entries]
                info.variants.append(Variant(
                    entries, [(a, snapshot.answer_text(e, a)) for e, a in zip(entries, right,
                                                                               strict=True)],
                    [(a, snapshot.answer_text(e, a)) for e, a in zip(entries, wrong,
                                                                      strict=True)],
                    [float(e["points"]) for e in entries]))
            if info.mastery is not None:
                info.mastery = min(info.mastery, len(bank))
            course = by_course[quiz.course_id]
            if quiz.lesson_id is None:
                course.final = info
            else:
                course.checks[quiz.lesson_id] = info
        db.session.remove()

    # -- people --
    def make_people_and_history(self) -> Seeded:
        rng, add, now = self.rng, self.loader.add, self.now
        hashed = self.password_hash
        statuses = ["full"] * 85 + ["probationary"] * 6 + ["candidate"] * 4 + ["activist"] * 5
        weights = [rng.uniform(0.5, 1.5) for _ in self.branches]
        placement = rng.choices(range(len(self.branches)), weights=weights, k=self.members)
        placement[:3] = [0, 0, 0]  # branch 0: its secretary, its 组织委员, the history member
        people = []
        for index in range(self.members):
            branch = self.branches[placement[index]]
            ident = self.next_id("users")
            org_id = branch["id"]
            if branch["groups"] and rng.random() < 0.67:
                org_id = rng.choice(branch["groups"])
            exempt = rng.random() < 0.03
            mobile = rng.random() < 0.04
            active = rng.random() >= 0.004 or index < 3
            add("users", {"id": ident, "phone": f"138{index:08d}", "name": self.name(),
                          "password_hash": hashed, "must_change_password": False,
                          "session_token": f"{rng.getrandbits(128):032x}", "is_admin": False,
                          "active": active,
                          "status": "full" if index < 3 else rng.choice(statuses),
                          "org_id": org_id, "is_mobile": mobile,
                          "mobile_where": "广东省东莞市" if mobile else None,
                          "mobile_contact": None, "is_exempt": exempt and index >= 3,
                          "exempt_reason": "年老体弱" if exempt and index >= 3 else None,
                          "last_login_at": None, "locale": None, "created_at": now,
                          "updated_at": now})
            member = {"id": ident, "index": index, "org_id": org_id, "branch": branch,
                      "active": active}
            branch["members"].append(member)
            people.append(member)
        # roles: secretary and 组织委员 of every branch (its first two members), a 副书记 in some,
        # 党小组长; a secretary per township and the county's 组织委员 (staff users)
        for number, branch in enumerate(self.branches):
            if len(branch["members"]) < 3:
                raise SystemExit("too few members for the branches: raise --members")
            roles = [("secretary", branch["members"][0]), ("organizer", branch["members"][1])]
            if number % 3 == 0:
                roles.append(("deputy", branch["members"][2]))
            for role, member in roles:
                self.membership(member["id"], branch["id"], role)
            branch["organiser"] = branch["members"][1]["id"]
            for group, member in zip(branch["groups"], branch["members"][3:], strict=False):
                self.membership(member["id"], group, "group_leader")
        staff = []
        for t, town in enumerate(self.townships):
            staff.append((f"137{t:08d}", town, "secretary"))
        staff.append(("13600000000", self.county, "organizer"))
        for phone, (org_id, _path), role in staff:
            ident = self.next_id("users")
            add("users", {"id": ident, "phone": phone, "name": self.name(),
                          "password_hash": hashed, "must_change_password": False,
                          "session_token": f"{rng.getrandbits(128):032x}", "is_admin": False,
                          "active": True, "status": "full", "org_id": org_id,
                          "is_mobile": False, "mobile_where": None, "mobile_contact": None,
                          "is_exempt": False, "exempt_reason": None, "last_login_at": None,
                          "locale": None, "created_at": now, "updated_at": now})
            self.membership(ident, org_id, role)
        county_organiser = staff[-1][0]
        self.loader.flush()

        self.assignments()
        self.paths = {b["id"]: b["path"] for b in self.branches}
        for b in self.branches:
            for g in b["groups"]:
                self.paths[g] = f"{b['path']}{g}/"
        dangke = next(c for c in self.courses if c.slug == DANGKE)
        # the pools: members who take a lesson check (lesson 3 of 党课) or the final quiz of 党课
        # while measured; their other courses follow the usual plan
        candidates = [p for p in people if p["index"] >= 3 and p["active"] and p["id"] not in
                      {b["members"][0]["id"] for b in self.branches} | {
                          b["members"][1]["id"] for b in self.branches}]
        random.Random(5).shuffle(candidates)
        check_pool = candidates[:self.pool]
        final_pool = candidates[self.pool:2 * self.pool]
        special = {m["id"]: "check" for m in check_pool}
        special.update({m["id"]: "final" for m in final_pool})
        history = people[2]
        special[history["id"]] = "history"
        for member in people:
            self.history(member, special.get(member["id"]), dangke)
            self.manual_hours(member)
        branch = self.branches[0]
        lesson3 = dangke.lessons[2][0]
        lesson_key = "governance"  # 党课 lesson 2: the history member passed its check
        return Seeded(
            county_id=self.county[0], branch_id=branch["id"],
            branch_members=len(branch["members"]), history_user=f"138{2:08d}",
            secretary=f"138{0:08d}", organiser=county_organiser,
            lesson_url=f"/courses/{DANGKE}/lessons/{lesson_key}",
            check_quiz=dangke.checks[lesson3].id, final_quiz=dangke.final.id,
            check_pool=[f"138{m['index']:08d}" for m in check_pool],
            final_pool=[f"138{m['index']:08d}" for m in final_pool],
            counts={}, seconds=0.0, synthetic_courses=self.synthetic)

    def membership(self, user_id: int, org_id: int, role: str) -> None:
        self.loader.add("memberships", {"id": self.next_id("memberships"), "user_id": user_id,
                                        "org_id": org_id, "role": role,
                                        "created_at": self.now, "updated_at": self.now})

    def assignments(self) -> None:
        """党课 for the whole county by year end; 村干部能力 in five townships, already overdue;
        a synthetic course in every tenth branch (some overdue)."""
        by_slug = {c.slug: c for c in self.courses}
        synthetic = [c for c in self.courses if not c.real]
        local_end = datetime(self.now.year, 12, 20).date()
        rows = [(by_slug[DANGKE].id, self.county[0], max(local_end, (self.now + timedelta(
            days=14)).date()))]
        for town in self.townships[:5]:
            rows.append((by_slug[CUNGANGBU].id, town[0], (self.now - timedelta(days=30)).date()))
        for number, branch in enumerate(self.branches):
            if number % 10 == 5:
                course = synthetic[number % len(synthetic)]
                due = self.now + timedelta(days=45 if number % 20 == 5 else -10)
                rows.append((course.id, branch["id"], due.date()))
        for course_id, org_id, due_on in rows:
            self.loader.add("course_assignments", {
                "id": self.next_id("course_assignments"), "course_id": course_id,
                "org_id": org_id, "due_on": due_on, "assigned_by_id": None,
                "assigned_at": self.ago(60)})
        self.loader.flush()

    def history(self, member: dict, role: str | None, dangke: CourseInfo) -> None:
        rng = self.rng
        active, engagement = self.person(rng)
        if role is not None:  # the pools and the history member always study
            active = True
        if role == "history":
            engagement = 1.0
        if not active:
            return
        book: dict = {}
        path = self.paths[member["org_id"]]
        for course in self.courses:
            if role in ("check", "final") and course is dangke:
                done = 2 if role == "check" else len(course.lessons)
                self.study(member, course, done, False, path, book, final="none")
                continue
            if role == "history" and course.real:
                plan = (len(course.lessons), False) if course.slug != XINXING else (2, True)
            else:
                plan = self.course_plan(rng, course, engagement)
            if plan is not None:
                self.study(member, course, plan[0], plan[1], path, book)
        for (course_id, key), state in book.items():
            self.loader.add("wrong_answers", {
                "user_id": member["id"], "course_id": course_id, "quiz_id": state["quiz"],
                "question_key": key, "question": state["entry"], "streak": state["streak"],
                "wrong_count": state["wrong"], "last_wrong_at": state["last_wrong"],
                "updated_at": state["updated"], "resolved_at": state["resolved"]})

    def study(self, member, course: CourseInfo, done: int, started: bool, path: str,
              book: dict, final: str = "random") -> None:
        rng, add = self.rng, self.loader.add
        user_id, count = member["id"], len(course.lessons)
        gap = rng.uniform(0.2, 5.0)
        needed = gap * (count + 1) + 1
        start = self.ago(rng.uniform(needed, max(needed + 1, HISTORY_DAYS)))
        add("enrollments", {"user_id": user_id, "course_id": course.id, "enrolled_at": start,
                            "source": "assigned" if course.slug == DANGKE else "self"})
        numbers: Counter = Counter()
        moment = start
        for position, (lesson_id, minutes) in enumerate(course.lessons):
            if position > done or (position == done and not started):
                break
            moment = start + timedelta(days=gap * (position + 1), minutes=rng.randrange(600))
            complete = position < done
            check = course.checks.get(lesson_id)
            reached = moment if complete else None
            if check is not None:
                if complete:
                    fails = 1 if rng.random() < 0.2 else 0
                    fails += 1 if fails and rng.random() < 0.25 else 0
                    for n in range(fails):
                        numbers[check.id] += 1
                        self.attempt(user_id, check, numbers[check.id],
                                     moment - timedelta(minutes=10 * (fails - n)), False, book)
                    numbers[check.id] += 1
                    self.attempt(user_id, check, numbers[check.id], moment, True, book)
                elif rng.random() < 0.5:
                    numbers[check.id] += 1
                    self.attempt(user_id, check, numbers[check.id], moment, False, book)
                    reached = moment
            elif not complete and rng.random() < 0.3:
                reached = None
            add("lesson_progress", {
                "user_id": user_id, "lesson_id": lesson_id, "course_id": course.id,
                "first_seen_at": moment - timedelta(minutes=minutes + rng.randrange(30)),
                "last_seen_at": moment, "reached_end_at": reached,
                "completed_at": moment if complete else None})
        if done < count:
            return
        passed_at = moment
        if course.final is not None:
            if final == "none":
                return
            passed_at = None
            if rng.random() < 0.9:
                for number in (1, 2, 3):
                    at = moment + timedelta(hours=number, minutes=rng.randrange(50))
                    passes = rng.random() < (0.8 if number < 3 else 0.6)
                    self.attempt(user_id, course.final, number, at, passes, book)
                    if passes:
                        passed_at = at
                        break
        if passed_at is None:
            return
        add("course_completions", {"user_id": user_id, "course_id": course.id,
                                   "completed_at": passed_at,
                                   "course_version": course.version})
        if course.credit > 0:
            add("study_hours", {"user_id": user_id, "year": self.year_of(passed_at),
                                "category": "online", "hours": course.credit,
                                "source": "course", "source_id": course.id,
                                "reason": course.title[:200], "recorded_by_id": None,
                                "recorded_at": passed_at, "org_path": path})

    def attempt(self, user_id: int, quiz: QuizInfo, number: int, at: datetime, passes: bool,
                book: dict) -> None:
        """A submitted attempt as grading leaves it, with its responses; the 错题本 updated."""
        rng = self.rng
        variant = quiz.variants[rng.randrange(len(quiz.variants))]
        size = len(variant.entries)
        total = sum(variant.points)

        def outcome(wrong: int) -> tuple[bool, float]:
            score = sum(variant.points[wrong:])
            if quiz.mastery is not None:
                return size - wrong >= quiz.mastery, score
            return total > 0 and score * 100 >= quiz.pass_percent * total, score

        choices = [w for w in range(size + 1) if outcome(w)[0] == passes] or [0]
        wrong = rng.choice(choices[:3] if passes else choices)
        passed, score = outcome(wrong)
        ident = self.next_id("attempts")
        rules = {"mastery_required": quiz.mastery, "pass_percent": quiz.pass_percent,
                 "multiple_scoring": quiz.scoring}
        add = self.loader.add
        add("attempts", {"id": ident, "user_id": user_id, "quiz_id": quiz.id, "number": number,
                         "state": "submitted", "started_at": at - timedelta(minutes=4),
                         "deadline": None, "submitted_at": at, "score": score,
                         "max_score": total, "passed": passed, "snapshot": variant.entries,
                         "rules": rules})
        saved = at - timedelta(minutes=1)
        for i, entry in enumerate(variant.entries):
            right = i >= wrong
            answer, text = variant.right[i] if right else variant.wrong[i]
            add("responses", {"attempt_id": ident, "question_key": entry["key"],
                              "answer": answer, "saved_at": saved, "correct": right,
                              "points": variant.points[i] if right else 0.0,
                              "answer_text": text})
            state = book.get((quiz.course_id, entry["key"]))
            if state is None and right:
                continue
            if state is None:
                book[(quiz.course_id, entry["key"])] = {
                    "quiz": quiz.id, "entry": entry, "streak": 0, "wrong": 1,
                    "last_wrong": at, "updated": at, "resolved": None}
                continue
            state.update(quiz=quiz.id, entry=entry, updated=at)
            if right and state["resolved"] is None:
                state["streak"] += 1
                if state["streak"] >= 2:
                    state["resolved"] = at
            elif not right:
                state.update(streak=0, wrong=state["wrong"] + 1, last_wrong=at, resolved=None)

    def manual_hours(self, member: dict) -> None:
        """Meetings and 党校 days entered by the branch's 组织委员 across the year."""
        rng = self.rng
        count = rng.choices(range(7), weights=(10, 10, 20, 25, 15, 12, 8))[0]
        recorder = member["branch"]["organiser"]
        path = self.paths[member["org_id"]]
        for _ in range(count):
            at = self.ago(rng.uniform(1, HISTORY_DAYS))
            meeting = rng.random() < 0.7
            self.loader.add("study_hours", {
                "user_id": member["id"], "year": self.year_of(at),
                "category": "meeting" if meeting else "manual",
                "hours": rng.choice((2, 4, 4, 8)) if meeting else 8, "source": "manual",
                "source_id": None,
                "reason": "主题党日集体学习" if meeting else "县委党校集中培训一天",
                "recorded_by_id": recorder if recorder != member["id"] else None,
                "recorded_at": at, "org_path": path})

    def finish(self) -> None:
        """PostgreSQL: sequences past the ids given here, then VACUUM ANALYZE (what autovacuum
        would do after such a load, done now so that it does not happen mid-measurement)."""
        from sqlalchemy import func, select, text

        engine = self.db.engine
        if engine.dialect.name != "postgresql":
            return
        with engine.begin() as conn:
            for name in self.ids:
                table = self.db.metadata.tables[name]
                top = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
                if top:
                    conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                                 {"t": name, "v": top})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))

    def counts(self) -> dict:
        from sqlalchemy import func, select

        with self.db.engine.connect() as conn:
            return {name: conn.execute(select(func.count()).select_from(
                self.db.metadata.tables[name])).scalar_one()
                for name in ("organizations", "users", "memberships", "courses", "lessons",
                             "quizzes", "questions", "course_assignments", "enrollments",
                             "lesson_progress", "attempts", "responses", "wrong_answers",
                             "course_completions", "study_hours")}


# ---- server time, in process ------------------------------------------------------------------

class Meter:
    """Times one request through the test client and counts the SQL statements it ran."""

    def __init__(self, app):
        from sqlalchemy import event

        from lms.extensions import db

        with app.app_context():
            self.engine = db.engine
        self.statements = 0
        event.listen(self.engine, "before_cursor_execute", self._tick)

    def _tick(self, *_args, **_kwargs) -> None:
        self.statements += 1

    def call(self, client, method: str, url: str, expect: int, **kwargs) -> tuple[float, int]:
        self.statements = 0
        began = time.perf_counter()
        response = client.open(url, method=method, **kwargs)
        response.get_data()
        elapsed = time.perf_counter() - began
        response.close()
        if response.status_code != expect:
            raise SystemExit(f"{method} {url} answered {response.status_code}, not {expect}:\n"
                             + response.get_data(as_text=True)[:800])
        return elapsed, self.statements


@dataclass
class Row:
    label: str
    budget_ms: float
    times: list = field(default_factory=list)
    queries: list = field(default_factory=list)

    def pct(self, q: float) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def ok(self) -> bool:
        return self.pct(0.95) <= self.budget_ms

    def as_dict(self) -> dict:
        return {"label": self.label, "p50_ms": round(self.pct(0.5), 2),
                "p95_ms": round(self.pct(0.95), 2), "max_ms": round(max(self.times) * 1000, 2),
                "queries": sorted(set(self.queries)), "budget_ms": self.budget_ms,
                "pass": self.ok, "n": len(self.times)}


def signed_in(app, phone: str):
    client = app.test_client()
    response = client.post("/login", data={"phone": phone, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"{phone} could not sign in ({response.status_code})")
    return client


def measure_pages(app, seeded: Seeded, reps: int, warmup: int) -> list[Row]:
    meter = Meter(app)
    rows = []
    pages = [
        ("我的学习 /study/", seeded.history_user, "/study/", MEMBER_P95_MS),
        (f"lesson page {seeded.lesson_url.split('/courses/')[1]}", seeded.history_user,
         seeded.lesson_url, MEMBER_P95_MS),
    ]
    for label, phone, url, budget in pages:
        rows.append(time_gets(meter, signed_in(app, phone), label, url, budget, reps, warmup))
    rows.append(time_submits(app, meter, "lesson-check submit (党课 lesson 3)",
                             seeded.check_quiz, seeded.check_pool, reps, warmup))
    rows.append(time_submits(app, meter, "final-quiz submit (党课, passes: completion + 学时)",
                             seeded.final_quiz, seeded.final_pool, reps, warmup))
    rows.append(time_gets(meter, signed_in(app, seeded.secretary),
                          f"branch view /branch/{seeded.branch_id} ({seeded.branch_members} "
                          "members)", f"/branch/{seeded.branch_id}", MEMBER_P95_MS, reps,
                          warmup))
    rows.append(time_gets(meter, signed_in(app, seeded.organiser),
                          f"county view /branch/{seeded.county_id}",
                          f"/branch/{seeded.county_id}", COUNTY_P95_MS, reps, warmup))
    return rows


def check_reads_only(app, seeded: Seeded, lesson_row: Row) -> int:
    """The reads-only lesson page (bench/reads_only.py) must run the real page's statements."""
    import reads_only

    meter = Meter(app)
    client = signed_in(app, seeded.history_user)
    with reads_only.patched():
        _, statements = meter.call(client, "GET", seeded.lesson_url, 200)
    if {statements} != set(lesson_row.queries):
        raise SystemExit(f"the reads-only lesson page ran {statements} statements, the page "
                         f"{sorted(set(lesson_row.queries))}: bench/reads_only.py is out of date")
    return statements


def time_gets(meter: Meter, client, label: str, url: str, budget: float, reps: int,
              warmup: int) -> Row:
    row = Row(label, budget)
    for _ in range(warmup):
        meter.call(client, "GET", url, 200)
    for _ in range(reps):
        elapsed, queries = meter.call(client, "GET", url, 200)
        row.times.append(elapsed)
        row.queries.append(queries)
    log(f"  {label}: p50 {row.pct(0.5):.1f} ms, p95 {row.pct(0.95):.1f} ms")
    return row


def time_submits(app, meter: Meter, label: str, quiz_id: int, pool: list[str], reps: int,
                 warmup: int) -> Row:
    """For each member of the pool: start an attempt and save the answers (untimed), then the
    submit POST with the whole form, as the page sends it (timed)."""
    from sqlalchemy import select
    from werkzeug.datastructures import MultiDict

    from lms.auth.models import User
    from lms.extensions import db
    from lms.quizzes.models import Attempt

    row = Row(label, MEMBER_P95_MS)
    for n, phone in enumerate(pool[:warmup + reps]):
        client = signed_in(app, phone)
        meter.call(client, "POST", f"/quizzes/{quiz_id}/start", 302)
        with app.app_context():
            attempt = db.session.scalar(
                select(Attempt).join(User, User.id == Attempt.user_id)
                .where(User.phone == phone, Attempt.quiz_id == quiz_id,
                       Attempt.state == "in_progress"))
            if attempt is None:
                raise SystemExit(f"{label}: no attempt in progress for {phone}")
            form = []
            for entry in attempt.snapshot:
                form.append(("shown", entry["key"]))
                form.extend((f"q-{entry['key']}", value) for value in form_answer(entry))
            attempt_id = attempt.id
        form = MultiDict(form)
        meter.call(client, "POST", f"/quizzes/attempts/{attempt_id}/answer", 302, data=form)
        elapsed, queries = meter.call(client, "POST", f"/quizzes/attempts/{attempt_id}/submit",
                                      303, data=form)
        if n >= warmup:
            row.times.append(elapsed)
            row.queries.append(queries)
    with app.app_context():
        passed = db.session.scalar(select(db.func.count(Attempt.id)).where(
            Attempt.quiz_id == quiz_id, Attempt.passed.is_(True),
            Attempt.user_id.in_(select(User.id).where(User.phone.in_(pool)))))
    if passed < warmup + reps:
        raise SystemExit(f"{label}: only {passed} of {warmup + reps} submits passed")
    log(f"  {label}: p50 {row.pct(0.5):.1f} ms, p95 {row.pct(0.95):.1f} ms")
    return row


# ---- throughput and memory under gunicorn -----------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Servers:
    """The gunicorn processes started here; each stopped by its own pid at the end."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, target: str, chdir: Path, env: dict,
              workers: int = 2) -> tuple[subprocess.Popen, int]:
        port = free_port()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        # gunicorn.conf.py's when_ready imports lms, whatever app the server runs
        proc = subprocess.Popen(
            [str(gunicorn), "--config", str(GUNICORN_CONF), "--workers", str(workers),
             "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir),
             "--log-level", "warning", "--timeout", "60", target],
            env={**os.environ, "PYTHONPATH": str(ROOT), **env}, start_new_session=True)
        self.procs.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn {target} exited with {proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return proc, port
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn {target} did not start listening")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.procs = []


def http(port: int, method: str, path: str, headers: dict | None = None,
         body: str | None = None):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def session_cookie(headers) -> str:
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return ""


def sign_in_over_http(port: int, phone: str) -> str:
    """The real sign-in form (CSRF token and all); returns the session cookie."""
    status, headers, body = http(port, "GET", "/login")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    if status != 200 or token is None:
        raise SystemExit(f"GET /login through gunicorn answered {status}")
    form = urllib.parse.urlencode({"csrf_token": token.group(1).decode(), "phone": phone,
                                   "password": PASSWORD, "next": ""})
    status, headers, _ = http(port, "POST", "/login", {
        "Cookie": session_cookie(headers),
        "Content-Type": "application/x-www-form-urlencoded"}, form)
    cookie = session_cookie(headers)
    if status != 302 or not cookie:
        raise SystemExit(f"sign-in through gunicorn answered {status}")
    return cookie


def load(port: int, path: str, cookie: str, threads: int, duration: float) -> dict:
    """bench/loadgen.py in a second process, bounded in time (and count)."""
    command = [sys.executable, str(BENCH / "loadgen.py"), "--port", str(port), "--path", path,
               "--threads", str(threads), "--duration", str(duration)]
    if cookie:
        command += ["--cookie", cookie]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=duration + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
    if proc.returncode != 0:
        raise SystemExit(f"the load generator failed ({proc.returncode})")
    return json.loads(out)


def _proc_kb(path: Path, field: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit(f"no {field} in {path}")


def process_memory(pid: int) -> dict:
    """Memory of a gunicorn master and its workers, in MB: VmRSS and PSS, each summed over
    master + workers and over the workers alone.

    VmRSS (/proc/<pid>/status) counts every page a process maps, so a page the workers share
    with the master is counted once per process; PSS (/proc/<pid>/smaps_rollup) divides each
    page among the processes that map it, so the sum counts it once.
    """
    children = Path(f"/proc/{pid}/task/{pid}/children")
    workers = [int(p) for p in children.read_text().split()] if children.exists() else []
    figures = {p: (_proc_kb(Path(f"/proc/{p}/status"), "VmRSS") / 1024,
                   _proc_kb(Path(f"/proc/{p}/smaps_rollup"), "Pss") / 1024)
               for p in [pid, *workers]}
    return {"rss_mb": sum(rss for rss, _ in figures.values()),
            "pss_mb": sum(pss for _, pss in figures.values()),
            "workers_rss_mb": sum(figures[p][0] for p in workers),
            "workers_pss_mb": sum(figures[p][1] for p in workers),
            "workers": len(workers)}


def lesson_text(page: bytes) -> str:
    """The lesson's own HTML out of the served lesson page (for the stack reference page)."""
    found = re.search(rb'<div class="lesson-body" id="lesson-body">(.*?)</div>\s*</article>',
                      page, re.S)
    if found is None:
        raise SystemExit("the lesson page through gunicorn has no lesson body")
    return found.group(1).decode()


def measure_throughput(database: Database, folder: Path, seeded: Seeded, args) -> dict:
    import bare_app  # bench/ is on sys.path as this script's folder
    import stack_app

    bare_db = folder / "bare.db"
    bare_app.create_table(str(bare_db))
    servers = Servers()
    try:
        app_env = {"FIELDSIDE_INSTANCE": str(folder / "instance"), "SECRET_KEY": SECRET_KEY,
                   "DATABASE_URL": database.url, "RATELIMIT_ENABLED": "0"}
        app_proc, app_port = servers.start("lms:create_app()", ROOT, app_env)
        bare_proc, bare_port = servers.start("bare_app:app", BENCH,
                                             {"BENCH_BARE_DB": str(bare_db)})
        cookie = sign_in_over_http(app_port, seeded.history_user)
        status, _, page = http(app_port, "GET", seeded.lesson_url, {"Cookie": cookie})
        if status != 200:
            raise SystemExit(f"the lesson page through gunicorn answered {status}")
        stack_db = folder / "stack.db"
        stack_app.create_tables(str(stack_db), lesson_text(page))
        stack_proc, stack_port = servers.start("stack_app:app", BENCH,
                                               {"BENCH_STACK_DB": str(stack_db)})
        _, reads_port = servers.start("reads_only:create_app()", BENCH,
                                      {**app_env, "PYTHONPATH": str(ROOT)})
        status, headers, _ = http(stack_port, "GET", "/login")
        stack_cookie = session_cookie(headers)
        if status != 302 or not stack_cookie:
            raise SystemExit(f"sign-in on the stack reference page answered {status}")
        # warm them all: every worker imports, connects and compiles its templates
        load(app_port, seeded.lesson_url, cookie, args.threads, 2)
        load(bare_port, "/", "", args.threads, 2)
        load(stack_port, "/", stack_cookie, args.threads, 2)
        load(reads_port, seeded.lesson_url, cookie, args.threads, 2)
        # the floor: the cheapest answer the app gives a signed-in member (session, user,
        # roles and headers, no page), to show how much of the gap is the page itself; and the
        # lesson page's own reads without its template (bench/reads_only.py): what is left to
        # the page when rendering costs nothing
        runs = {"bare": [], "lesson": [], "floor": [], "stack": [], "reads": []}
        for n in range(args.runs):
            for name, port, path, jar in (("bare", bare_port, "/", ""),
                                          ("lesson", app_port, seeded.lesson_url, cookie),
                                          ("floor", app_port, "/healthz", cookie),
                                          ("stack", stack_port, "/", stack_cookie),
                                          ("reads", reads_port, seeded.lesson_url, cookie)):
                result = load(port, path, jar, args.threads, args.duration)
                if result["errors"] or not result["requests"]:
                    raise SystemExit(f"{name} page under load: {result}")
                runs[name].append(result)
                log(f"  run {n + 1} {name}: {result['rps']:,.0f} req/s, p50 "
                    f"{result['p50_ms']} ms, p95 {result['p95_ms']} ms")
        memory = process_memory(app_proc.pid)
        bare_memory = process_memory(bare_proc.pid)
        stack_memory = process_memory(stack_proc.pid)
    finally:
        servers.stop()
    bare = statistics.median(r["rps"] for r in runs["bare"])
    lesson = statistics.median(r["rps"] for r in runs["lesson"])
    floor = statistics.median(r["rps"] for r in runs["floor"])
    stack = statistics.median(r["rps"] for r in runs["stack"])
    reads = statistics.median(r["rps"] for r in runs["reads"])
    return {"bare_rps": bare, "lesson_rps": lesson, "ratio": lesson / bare if bare else 0.0,
            "reads_rps": reads, "reads_ratio": reads / bare if bare else 0.0,
            "floor_rps": floor, "floor_ratio": floor / bare if bare else 0.0,
            "stack_rps": stack, "stack_ratio": stack / bare if bare else 0.0,
            "stack_memory": stack_memory,
            "memory": memory, "bare_memory": bare_memory, "runs": runs}


# ---- report -----------------------------------------------------------------------------------

def report(args, database: Database, seeded: Seeded, rows: list[Row], load_figures: dict | None,
           db_size: str) -> list[str]:
    log(f"\n== County benchmark on {args.db} ({database.url.split('@')[-1]}) ==")
    log(f"Seeding: {seeded.seconds:,.0f} s ({args.members:,} members, "
        f"{seeded.synthetic_courses} synthetic courses of {SYNTHETIC_LESSONS} lessons beside "
        f"the 3 real ones); database {db_size}")
    for name, count in seeded.counts.items():
        log(f"  {name:<20}{count:>12,}")
    log(f"\nServer time, in process (Flask test client, one WSGI call each), {args.reps} "
        f"requests after {args.warmup} warm-up:")
    log(f"  {'request':<58}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'SQL':>7}"
        f"{'budget':>8}  result")
    broken = []
    for row in rows:
        queries = sorted(set(row.queries))
        shown = str(queries[0]) if len(queries) == 1 else f"{queries[0]}-{queries[-1]}"
        log(f"  {row.label:<58}{row.pct(0.5):>8.1f}{row.pct(0.95):>8.1f}"
            f"{max(row.times) * 1000:>8.1f}{shown:>7}{row.budget_ms:>8.0f}  "
            f"{'PASS' if row.ok else 'FAIL'}")
        if not row.ok:
            broken.append(f"{row.label}: p95 {row.pct(0.95):.1f} ms > {row.budget_ms:.0f} ms")
    if load_figures:
        f = load_figures
        m, bare_m = f["memory"], f["bare_memory"]
        ratio_ok, memory_ok = f["ratio"] >= RATIO_GOAL, m["pss_mb"] <= MEMORY_GOAL_MB
        log(f"\nThroughput under gunicorn ({GUNICORN_CONF.name}, 2 sync workers, 127.0.0.1), "
            f"bench/loadgen.py with {args.threads} threads, {args.duration:g} s, median of "
            f"{args.runs}:")
        log(f"  bare Flask page (bench/bare_app.py)  {f['bare_rps']:>9,.0f} req/s")
        log(f"  lesson page                          {f['lesson_rps']:>9,.0f} req/s")
        log(f"  ratio                                {f['ratio'] * 100:>8.0f} %   goal ≥ "
            f"{RATIO_GOAL * 100:.0f} %  {'PASS' if ratio_ok else 'FAIL'}")
        log("  for scale, in the same runs:")
        log(f"    /healthz signed in as the same member (no page at all): "
            f"{f['floor_rps']:,.0f} req/s, {f['floor_ratio'] * 100:.0f} % of the bare page")
        log(f"    the fixed stack's smallest signed-in page (bench/stack_app.py): "
            f"{f['stack_rps']:,.0f} req/s, {f['stack_ratio'] * 100:.0f} % of the bare page")
        log(f"    the lesson page's reads without its template (bench/reads_only.py, "
            f"{f['reads_statements']} statements as the page): {f['reads_rps']:,.0f} req/s, "
            f"{f['reads_ratio'] * 100:.0f} % of the bare page")
        log(f"Memory after the load, master + {m['workers']} workers:")
        log(f"  PSS summed (each shared page once)   {m['pss_mb']:>9.0f} MB   goal ≤ "
            f"{MEMORY_GOAL_MB:.0f} MB  {'PASS' if memory_ok else 'FAIL'}")
        log(f"  VmRSS summed (shared pages per process) {m['rss_mb']:>6.0f} MB")
        log(f"  the {m['workers']} workers alone: PSS {m['workers_pss_mb']:.0f} MB, VmRSS "
            f"{m['workers_rss_mb']:.0f} MB")
        for label, other in (("the bare page's", bare_m),
                             ("the fixed stack's smallest page's", f["stack_memory"])):
            log(f"  {label} gunicorn, for comparison: PSS {other['pss_mb']:.0f} MB, VmRSS "
                f"{other['rss_mb']:.0f} MB (workers alone {other['workers_pss_mb']:.0f} / "
                f"{other['workers_rss_mb']:.0f} MB)")
        if not ratio_ok:
            broken.append(f"lesson page at {f['ratio'] * 100:.0f} % of the bare page "
                          f"(goal {RATIO_GOAL * 100:.0f} %)")
        if not memory_ok:
            broken.append(f"memory (PSS, master + workers) {m['pss_mb']:.0f} MB "
                          f"(goal {MEMORY_GOAL_MB:.0f} MB)")
    return broken


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=200, help="timed requests per row")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--threads", type=int, default=16, help="load generator connections")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load run")
    parser.add_argument("--runs", type=int, default=3, help="load runs per page (median)")
    parser.add_argument("--no-load", action="store_true", help="skip the gunicorn part")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (and temp dir) for inspection; prints where")
    args = parser.parse_args(argv)
    pool = args.reps + args.warmup
    if args.members < 4 * pool:
        parser.error(f"--members must be at least {4 * pool} for --reps {args.reps} "
                     f"and --warmup {args.warmup}")
    sys.path.insert(0, str(BENCH))
    # a plain kill ends the run through the finally blocks below, as Ctrl-C does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="fieldside-county-"))
    database = Database(args.db, folder)
    app = None
    try:
        database.create()
        app = build_app(database, folder)
        import flask_migrate

        from lms.database import bind_migrate

        bind_migrate(app)
        with app.app_context():
            flask_migrate.upgrade()
            added = create_missing_indexes()
            if added:
                log("Indexes the models declare but no migration creates yet, created here: "
                    + ", ".join(added))
            log(f"Seeding a county of {args.members:,} members on {args.db} …")
            seeded = CountySeeder(app, args.members, pool).run()
        db_size = database.size()
        log(f"Seeded in {seeded.seconds:,.0f} s; {db_size}. Measuring server time …")
        rows = measure_pages(app, seeded, args.reps, args.warmup)
        figures = None
        if not args.no_load:
            lesson_row = next(row for row in rows if row.label.startswith("lesson page"))
            reads_statements = check_reads_only(app, seeded, lesson_row)
            log("Throughput and memory under gunicorn …")
            figures = measure_throughput(database, folder, seeded, args)
            figures["reads_statements"] = reads_statements
        broken = report(args, database, seeded, rows, figures, db_size)
        if args.json:
            Path(args.json).write_text(json.dumps({
                "db": args.db, "members": args.members, "seed_seconds": seeded.seconds,
                "counts": seeded.counts, "synthetic_courses": seeded.synthetic_courses,
                "rows": [r.as_dict() for r in rows], "throughput": figures,
                "broken": broken}, ensure_ascii=False, indent=1))
    finally:
        if app is not None:
            from lms.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if args.keep:
            log(f"Kept: {database.url} (temp dir {folder})")
        else:
            database.drop()
            shutil.rmtree(folder, ignore_errors=True)
    if broken:
        log("\nBUDGET BROKEN:\n  " + "\n  ".join(broken))
        return 1
    log("\nWithin budget.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
