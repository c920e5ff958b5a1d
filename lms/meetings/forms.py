from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.core.forms import options

KIND_LABELS = {
    "general": _l("党员大会"), "committee": _l("支委会"), "group": _l("党小组会"),
    "lecture": _l("党课"), "theme_day": _l("主题党日"), "other": _l("其他"),
}
MARK_LABELS = {"present": _l("到"), "leave": _l("请假"), "absent": _l("缺席")}
EVERY_LABELS = {"month": _l("每月"), "quarter": _l("每季度"), "year": _l("每年")}
STATE_LABELS = {"done": _l("已开"), "planned": _l("已安排"), "due": _l("待开"),
                "overdue": _l("逾期"), "none": _l("无党小组")}


class MeetingForm(FlaskForm):
    org = SelectField(_l("党组织"), coerce=int)
    kind = SelectField(_l("会议类型"), choices=options(KIND_LABELS.items()))
    title = StringField(_l("会议名称"), validators=[DataRequired(), Length(min=2, max=120)])
    day = DateField(_l("日期"), validators=[DataRequired()])
    starts = TimeField(_l("开始时间"), validators=[DataRequired()])
    ends = TimeField(_l("结束时间"), validators=[DataRequired()])
    place = StringField(_l("地点"), validators=[Length(max=120)])
    host = StringField(_l("主持人"), validators=[Length(max=60)])
    minute_taker = StringField(_l("记录人"), validators=[Length(max=60)])
    hours = DecimalField(_l("学时（0 到 8，以 0.5 为单位）"), places=1, default=0,
                         validators=[Optional(), NumberRange(min=0, max=8)])
    lesson = SelectField(_l("一起学习的课（党课、主题党日可选）"), coerce=int, default=0)
    makeup_due_on = DateField(_l("补学截止日期（不填为签发后 30 天）"), validators=[Optional()])
    allow_guests = BooleanField(_l("允许外支部党员（流动党员）扫码签到"))
    topics = TextAreaField(_l("议题"), validators=[Length(max=5000)])
    remarks = TextAreaField(_l("发言要点"), validators=[Length(max=20000)])
    decisions = TextAreaField(_l("决定"), validators=[Length(max=5000)])
    dissent = TextAreaField(_l("不同意见"), validators=[Length(max=5000)])


class CorrectForm(FlaskForm):
    user = IntegerField(validators=[DataRequired()])
    status = SelectField(_l("改为"), choices=options(MARK_LABELS.items()))
    reason = StringField(_l("更正原因"), validators=[DataRequired(), Length(min=2, max=120)])


class HomeVisitForm(FlaskForm):
    member = SelectField(_l("党员"), coerce=int)
    visited_on = DateField(_l("送学日期"), validators=[DataRequired()])
    topic = StringField(_l("学习内容"), validators=[DataRequired(), Length(min=2, max=200)])
    hours = DecimalField(_l("学时"), places=1, validators=[DataRequired(), NumberRange(min=0.5, max=8)])
