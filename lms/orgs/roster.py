"""Roster import and export: 姓名, 手机号, 党员状态, 所在党组织, 职务.

所在党组织 is read the way people write it: the code (LH-DW-YG), the name (渔港村党支部) when only
one organisation has it, or a path of names (东湾镇党委/渔港村党支部); exports write the code.

:func:`parse_roster` is pure (bytes in, rows or ``row N: …`` problems out). The import service
checks the rows against the database and the actor's scope, then writes everything or nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.audit.services import record
from lms.auth.models import STATUS_LABELS, User
from lms.auth.passwords import one_time_code
from lms.auth.services import issue_one_time_code, normalize_phone, valid_phone
from lms.core import sheets
from lms.core.errors import ValidationFailed
from lms.core.i18n import N_
from lms.core.problems import located
from lms.extensions import db
from lms.orgs.access import authorize, can, in_scope, scope_paths
from lms.orgs.models import Membership, Organization

COLUMNS = ["姓名", "手机号", "党员状态", "所在党组织", "职务"]
ROLE_LABELS = {"书记": "secretary", "副书记": "deputy", "组织委员": "organizer",
               "宣传委员": "propaganda", "纪检委员": "discipline", "党小组长": "group_leader",
               "讲师": "trainer", "管理员": "admin"}
STATUS_KEYS = {label: key for key, label in STATUS_LABELS.items()}
ROLE_NAMES = {v: k for k, v in ROLE_LABELS.items()}


@dataclass(frozen=True)
class RosterRow:
    row: int
    name: str
    phone: str
    status: str | None
    org_code: str
    roles: tuple[str, ...]


@dataclass
class RosterResult:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_roster(data: bytes, filename: str) -> RosterResult:
    """Read a roster file; every bad row is reported, none is dropped silently."""
    table = sheets.read_table(data, filename)
    if table.problem:
        return RosterResult(problems=[table.problem])
    positions, problem = sheets.column_index(table, COLUMNS[:4], COLUMNS[4:])
    if problem:
        return RosterResult(problems=[problem])
    result = RosterResult()
    seen: dict[str, int] = {}
    for number, raw in table.rows:
        def value(column, raw=raw):
            return sheets.cell(raw, positions, column)
        wrong: list[tuple[str, dict]] = []
        name = value("姓名")
        if not name:
            wrong.append((N_("姓名为空"), {}))
        elif len(name) > 60:
            wrong.append((N_("姓名超过 60 个字"), {}))
        phone = normalize_phone(value("手机号"))
        if not valid_phone(phone):
            wrong.append((N_("手机号“%(raw)s”不是 11 位大陆手机号"), {"raw": value("手机号")}))
        elif phone in seen:
            wrong.append((N_("手机号 %(phone)s 与第 %(row)d 行重复"),
                          {"phone": phone, "row": seen[phone]}))
        else:
            seen[phone] = number
        status_label = value("党员状态")
        status = STATUS_KEYS.get(status_label)
        if status_label and status is None:
            wrong.append((N_("党员状态“%(raw)s”应为：%(allowed)s"),
                          {"raw": status_label, "allowed": "、".join(STATUS_KEYS)}))
        code = value("所在党组织")
        if not code:
            wrong.append((N_("所在党组织为空"), {}))
        roles = []
        for label in filter(None, re.split(r"[、,，;；/\s]+", value("职务"))):
            if label not in ROLE_LABELS:
                wrong.append((N_("职务“%(raw)s”应为：%(allowed)s"),
                              {"raw": label, "allowed": "、".join(ROLE_LABELS)}))
            else:
                roles.append(ROLE_LABELS[label])
        if wrong:
            result.problems.extend(located("row", number, msgid, **params)
                                   for msgid, params in wrong)
        else:
            result.rows.append(RosterRow(number, name, phone, status, code, tuple(roles)))
    if not table.rows:
        result.problems.append(located("row", 2, N_("文件里没有数据行")))
    return result


@dataclass(frozen=True)
class PreviewRow:
    """One row as the import will write it: every column, and whether it makes an account."""

    row: int
    name: str
    phone: str
    status: str | None
    org: Organization
    roles: tuple[str, ...]
    new: bool


@dataclass
class ImportOutcome:
    created: list[tuple[str, str, str]] = field(default_factory=list)  # (name, phone, code)
    updated: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)


SEPARATORS = re.compile(r"\s*[/／>＞]\s*")


def resolve_orgs(values) -> dict[str, Organization | tuple[str, dict]]:
    """Each 所在党组织 as written → its organisation, or a problem saying why not (three queries
    whatever the number of rows): a code; a name only one organisation has; or a path of names
    from any ancestor down (东湾镇党委/渔港村党支部). A problem is (message id, parameters)."""
    values = {v for v in values if v}
    by_code = {o.code: o for o in db.session.scalars(
        select(Organization).where(Organization.code.in_(values)))} if values else {}
    wanted = {SEPARATORS.split(v)[-1] for v in values if v not in by_code}
    named: dict[str, list[Organization]] = {}
    for org in (db.session.scalars(select(Organization).where(Organization.name.in_(wanted)))
                if wanted else ()):
        named.setdefault(org.name, []).append(org)
    ancestor_ids = {int(part) for orgs in named.values() for o in orgs
                    for part in o.path.strip("/").split("/")}
    names = dict(db.session.execute(select(Organization.id, Organization.name).where(
        Organization.id.in_(ancestor_ids))).all()) if ancestor_ids else {}
    found: dict[str, Organization | tuple[str, dict]] = {}
    for value in values:
        if value in by_code:
            found[value] = by_code[value]
            continue
        parts = SEPARATORS.split(value)
        matches = [o for o in named.get(parts[-1], [])
                   if _ends_with(o, parts, names)]
        if len(matches) == 1:
            found[value] = matches[0]
        elif not matches:
            found[value] = (N_("没有代码或名称为“%(org)s”的党组织"), {"org": value})
        else:
            found[value] = (N_("有 %(n)d 个党组织叫“%(org)s”，请填组织代码，或连同上级写成“上级名称/%(name)s”"),
                            {"n": len(matches), "org": value, "name": parts[-1]})
    return found


def _ends_with(org: Organization, parts: list[str], names: dict[int, str]) -> bool:
    chain = [names.get(int(part), "") for part in org.path.strip("/").split("/")]
    return chain[-len(parts):] == parts


def import_roster(actor, data: bytes, filename: str, *, dry_run: bool = False,
                  ip: str = "") -> ImportOutcome:
    """Check every row, then write all of them or none.

    Raises ValidationFailed (with every problem) when any row is bad; on ``dry_run`` returns the
    preview without writing. New accounts get a one-time code, returned once in ``created``.
    """
    authorize(actor, "import_roster")
    parsed = parse_roster(data, filename)
    problems = list(parsed.problems)
    orgs = resolve_orgs(r.org_code for r in parsed.rows)
    phones = [r.phone for r in parsed.rows]
    existing = {u.phone: u for u in db.session.scalars(
        select(User).where(User.phone.in_(phones)))} if phones else {}
    existing_orgs = {o.id: o for o in db.session.scalars(select(Organization).where(
        Organization.id.in_({u.org_id for u in existing.values() if u.org_id})))}
    for row in parsed.rows:
        org = orgs.get(row.org_code)
        if not isinstance(org, Organization):
            problems.append(located("row", row.row, org[0], **org[1]))
            continue
        if not can(actor, "import_roster", org):
            problems.append(located("row", row.row, N_("党组织“%(org)s”不在您的管理范围内"),
                                    org=row.org_code))
            continue
        user = existing.get(row.phone)
        if user is not None:
            home = existing_orgs.get(user.org_id)
            if user.is_admin or (home is None and not actor.is_admin) or (
                    home is not None and not can(actor, "import_roster", home)):
                problems.append(located("row", row.row, N_("手机号 %(phone)s 属于您管理范围以外的账户"),
                                        phone=row.phone))
                continue
        if "admin" in row.roles and not actor.is_admin:
            problems.append(located("row", row.row, N_("只有系统管理员可以设置“管理员”职务")))
        elif row.roles and not can(actor, "assign_roles", org):
            problems.append(located("row", row.row, N_("您不能在“%(org)s”任命职务"),
                                    org=row.org_code))
    problems.sort(key=_row_number)
    outcome = ImportOutcome(problems=problems)
    if problems:
        if not dry_run:
            record("roster.import", actor=actor, ok=False, ip=ip, target=filename[:200],
                   detail={"problems": len(problems)})
            db.session.commit()
            raise ValidationFailed(N_("导入失败，没有写入任何数据。"), problems)
        return outcome
    outcome.preview = [PreviewRow(row.row, row.name, row.phone, row.status, orgs[row.org_code],
                                  row.roles, row.phone not in existing) for row in parsed.rows]
    for row in parsed.rows:
        org = orgs[row.org_code]
        user = existing.get(row.phone)
        if user is None:
            user = User(phone=row.phone, name=row.name, status=row.status, org_id=org.id,
                        password_hash="", must_change_password=True)
            code = one_time_code() if dry_run else issue_one_time_code(user)
            outcome.created.append((row.name, row.phone, code))
            if dry_run:
                continue
            db.session.add(user)
            db.session.flush()
        else:
            outcome.updated.append(row.phone)
            if dry_run:
                continue
            user.name, user.status, user.org_id = row.name, row.status, org.id
        for role in row.roles:
            held = db.session.scalar(select(Membership.id).where(
                Membership.user_id == user.id, Membership.org_id == org.id,
                Membership.role == role))
            if not held:
                db.session.add(Membership(user_id=user.id, org_id=org.id, role=role))
    if dry_run:
        outcome.created = [(n, p, "") for n, p, _ in outcome.created]
        return outcome
    record("roster.import", actor=actor, ip=ip, target=filename[:200],
           detail={"created": len(outcome.created), "updated": len(outcome.updated)})
    db.session.commit()
    return outcome


def _row_number(problem: str) -> int:
    match = re.match(r"row (\d+):", problem)
    return int(match.group(1)) if match else 0


def roster_rows(actor, org: Organization) -> list[list[str]]:
    """The members of ``org``'s subtree that ``actor`` may see, in the import's columns."""
    authorize(actor, "view_members", org)
    users = list(db.session.scalars(
        select(User).join(Organization, User.org_id == Organization.id)
        .where(Organization.path.startswith(org.path))
        .where(in_scope(Organization.path, scope_paths(actor, "view_members")))
        .order_by(Organization.path, User.name, User.id)))
    codes = dict(db.session.execute(select(Organization.id, Organization.code).where(
        Organization.id.in_({u.org_id for u in users}))).all()) if users else {}
    # 职务 means a role on the row's 所在党组织, which is how the import reads it back; a role held
    # on another node would be re-imported onto the home branch (and may lie outside the scope)
    roles: dict[int, list[str]] = {}
    if users:
        for user_id, role in db.session.execute(
                select(Membership.user_id, Membership.role)
                .join(User, User.id == Membership.user_id)
                .where(Membership.user_id.in_([u.id for u in users]))
                .where(Membership.org_id == User.org_id)
                .order_by(Membership.id)):
            roles.setdefault(user_id, []).append(ROLE_NAMES[role])
    return [[u.name, u.phone, STATUS_LABELS.get(u.status, ""), codes.get(u.org_id, ""),
             "、".join(roles.get(u.id, []))] for u in users]


def template() -> bytes:
    """An empty roster to fill in, with one example row that says how each column is written."""
    return sheets.write_xlsx(COLUMNS, [["张桂英", "13900000011", "正式党员",
                                        "东湾镇党委/渔港村党支部", ""],
                                       ["王小明", "13900000012", "预备党员", "LH-DW-YG", "党小组长"]],
                             title="花名册")


def export_roster(actor, org: Organization, ip: str = "") -> bytes:
    rows = roster_rows(actor, org)
    record("roster.export", actor=actor, ip=ip, target=org.code, detail={"rows": len(rows)})
    db.session.commit()
    return sheets.write_xlsx(COLUMNS, rows, title="花名册")
