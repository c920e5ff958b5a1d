"""学习情况 as a secretary uses it: names in pinyin order, sorted by shortfall, one year at a time
for everything on the page, and an export that opens well in Excel."""
import io
from datetime import date

from openpyxl import load_workbook

from lms.extensions import db
from lms.progress import years
from lms.progress.models import CourseAssignment, LessonProgress, StudyHours
from lms.reports import tables


def _hours(user, hours, year=None):
    db.session.add(StudyHours(user_id=user.id, year=year or years.this_year(), category="meeting",
                              hours=hours, source="manual", reason="党课"))


def _names(node, **kw):
    return [r.name for r in tables.member_rows(node, year=years.this_year(), **kw)
            if r.name not in {"张三", "王书记"}]


def test_names_sort_by_pinyin_not_by_code_point(make_user, tree):
    for name in ("张桂英", "王小明", "安德顺", "吴海生", "陈美玲"):
        make_user(name, org=tree["b"])
    # by code point 吴 (U+5434) < 安 (U+5B89) < 张 < 王 < 陈; by pinyin: an, chen, wang, wu, zhang
    assert _names(tree["b"]) == ["安德顺", "陈美玲", "王小明", "吴海生", "张桂英"]
    assert _names(tree["b"], order="desc") == ["张桂英", "吴海生", "王小明", "陈美玲", "安德顺"]


def test_sort_by_shortfall_puts_the_furthest_behind_first(make_user, tree):
    near, far, done = (make_user(n, org=tree["b"]) for n in ("差一点", "差很多", "已达标"))
    exempt = make_user("免学的", org=tree["b"], is_exempt=True, exempt_reason="久病")
    _hours(near, 30)
    _hours(far, 2)
    _hours(done, 40)
    _hours(exempt, 0.5)
    db.session.commit()
    assert _names(tree["b"], sort="gap", order="desc") == ["差很多", "差一点", "已达标", "免学的"]


def test_the_year_filters_hours_required_courses_and_last_study(client_for, admin, make_user,
                                                                 tree, make_course):
    person = make_user("跨年的人", org=tree["b"])
    this, last = years.this_year(), years.this_year() - 1
    _hours(person, 5, year=last)
    _hours(person, 7, year=this)
    old = make_course(lessons=1, check=1, final=1, title="去年的必修课")
    new = make_course(lessons=1, check=1, final=1, title="今年的必修课")
    db.session.add_all([
        CourseAssignment(course_id=old.course.id, org_id=tree["b"].id, due_on=date(last, 6, 30),
                         assigned_at=years.local_noon(date(last, 3, 1))),
        CourseAssignment(course_id=new.course.id, org_id=tree["b"].id, due_on=years.today(),
                         assigned_at=years.local_noon(date(this, 1, 1))),
        LessonProgress(user_id=person.id, lesson_id=old.lessons[0].id, course_id=old.course.id,
                       first_seen_at=years.local_noon(date(last, 5, 1)),
                       last_seen_at=years.local_noon(date(last, 5, 1)))])
    db.session.commit()

    def row(year):
        return next(r for r in tables.member_rows(tree["b"], year=year) if r.name == "跨年的人")
    last_row, this_row = row(last), row(this)
    assert (last_row.hours, last_row.assigned, years.local_date(last_row.last_study)) == (
        5, 1, f"{last}-05-01")
    # this year still owes last year's course, not done (and overdue)
    assert (this_row.hours, this_row.assigned, this_row.overdue, this_row.last_study) == (
        7, 2, 1, None)
    page = client_for(admin).get(f"/branch/{tree['b'].id}?year={last}").get_data(as_text=True)
    assert "去年的必修课" in page and "今年的必修课" not in page.split("members-table")[0]


def test_the_export_has_phones_widths_and_numbers(client_for, admin, make_user, tree):
    person = make_user("导出的人", org=tree["b"], phone="13911112222")
    _hours(person, 12.5)
    db.session.commit()
    response = client_for(admin).get(f"/branch/{tree['b'].id}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["姓名", "手机号", "所在组织"]
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "导出的人")
    assert row[1] == "13911112222"
    hours = row[header.index("本年学时")]
    assert hours == 12.5 and isinstance(hours, float)
    assert isinstance(row[header.index("年度")], int)
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    assert widths["B"] >= 13 and widths["C"] >= 10  # 11 digits; 乙村党支部 is ten columns wide
