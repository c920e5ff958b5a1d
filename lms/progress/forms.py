from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from lms.core.forms import options

CATEGORY_LABELS = {
    "online": _l("在线学习"),
    "meeting": _l("集体学习·组织生活"),
    "manual": _l("其他（集中培训、送学上门等）"),
}
SOURCE_LABELS = {"course": _l("课程结业"), "meeting": _l("线下党课"), "manual": _l("手工登记"),
                 "home_visit": _l("送学上门")}


class ManualHoursForm(FlaskForm):
    hours = DecimalField(_l("学时（负数用于更正）"), places=2,
                         validators=[DataRequired(), NumberRange(min=-100, max=100)])
    occurred_on = DateField(_l("学习日期（计入这一天所在的年度）"), validators=[DataRequired()])
    category = SelectField(_l("类别"), choices=options(
        (key, CATEGORY_LABELS[key]) for key in ("meeting", "manual")))
    reason = StringField(_l("原因（必填，如“3月党课，集中学习 2 小时”）"),
                         validators=[DataRequired(), Length(min=2, max=200)])


class AssignForm(FlaskForm):
    course = SelectField(_l("课程"), coerce=int)
    due_on = DateField(_l("截止日期"), validators=[DataRequired()])
