"""Forms of the trainer's editor. Only the fields declared here are read from a request, so
posting ``owner_id``, ``status`` or ``version`` changes nothing."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lms.core import kinds
from lms.core.forms import options
from lms.courses.models import CATEGORIES
from lms.courses.packs.model import MAX_SUMMARY, MAX_TITLE

KIND_CHOICES = options((kind.name, _l(kind.form_label)) for kind in kinds.REGISTRY.values())


class CourseForm(FlaskForm):
    title = StringField(_l("课程名称"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    summary = TextAreaField(_l("简介"), validators=[DataRequired(), Length(max=MAX_SUMMARY)])
    category = SelectField(_l("类别"), choices=options((c, _l(c)) for c in CATEGORIES))
    required = BooleanField(_l("必修课"))
    credit_hours = DecimalField(_l("学时（课程通过后计入）"), places=None,
                                validators=[InputRequired(), NumberRange(min=0.01, max=100)])
    audience = SelectField(_l("面向"), coerce=int, default=0)


class NewCourseForm(CourseForm):
    slug = StringField(_l("课程代号（可不填；小写字母、数字和 -，用于网址和课程包文件夹名）"),
                       validators=[Optional(), Length(max=64)])


class NewLessonForm(FlaskForm):
    title = StringField(_l("课名"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    minutes = IntegerField(_l("阅读时间（分钟）"), default=5,
                           validators=[InputRequired(), NumberRange(min=1, max=60)])
    key = StringField(_l("代号（可不填）"), validators=[Optional(), Length(max=40)])


class LessonForm(FlaskForm):
    title = StringField(_l("课名"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    minutes = IntegerField(_l("阅读时间（分钟）"),
                           validators=[InputRequired(), NumberRange(min=1, max=60)])
    body = TextAreaField(_l("正文（Markdown）"), validators=[Optional()])
    audio = SelectField(_l("音频"), default="")


class MediaForm(FlaskForm):
    file = FileField(_l("图片或音频文件"), validators=[FileRequired()])
    lesson_id = HiddenField()


class FinalQuizForm(FlaskForm):
    pass_percent = IntegerField(_l("及格线（%）"), validators=[InputRequired(),
                                                           NumberRange(min=1, max=100)])
    draw = IntegerField(_l("每次抽题数（0 = 全部）"), validators=[InputRequired(),
                                                            NumberRange(min=0)])
    max_attempts = IntegerField(_l("答题次数（0 = 不限）"),
                                validators=[InputRequired(), NumberRange(min=0, max=100)])
    time_limit_minutes = IntegerField(_l("限时（分钟，0 = 不限时）"),
                                      validators=[InputRequired(), NumberRange(min=0, max=600)])
    grading = SelectField(_l("成绩取"), choices=options([("highest", _l("最高一次")),
                                                       ("last", _l("最后一次"))]))
    multiple_scoring = SelectField(_l("多选题计分"), choices=options([
        ("all_or_nothing", _l("全对才得分")), ("partial", _l("按选对比例得分（选错扣分）"))]))
    review = BooleanField(_l("交卷后显示答案和解析"))
    open_before_lessons = BooleanField(_l("不必学完全部课文就可以参加结业测验"))


class CheckForm(FlaskForm):
    mastery_required = IntegerField(_l("答对几题算通过（留空 = 全部答对）"),
                                    validators=[Optional(), NumberRange(min=1)])


class QuestionForm(FlaskForm):
    kind = SelectField(_l("题型"), choices=KIND_CHOICES)
    stem = TextAreaField(_l("题干"), validators=[DataRequired(), Length(max=4000)])
    explanation = TextAreaField(_l("解析"), validators=[Length(max=4000)])
    points = DecimalField(_l("分值"), default=1, places=None,
                          validators=[InputRequired(), NumberRange(min=0.01, max=1000)])
    key = StringField(_l("编号（可不填）"), validators=[Optional(), Length(max=64)])


def _add_answer_fields(form_class) -> None:
    """Each kind brings the answer fields it needs; kinds share a field by giving its name."""
    for kind in kinds.REGISTRY.values():
        for name, field in kind.form_fields().items():
            if not hasattr(form_class, name):
                setattr(form_class, name, field)


_add_answer_fields(QuestionForm)


class ImportForm(FlaskForm):
    file = FileField(_l("题库文件（.xlsx、.csv、.gift、.txt）"), validators=[FileRequired()])
    target = SelectField(_l("导入到"))
    format = SelectField(_l("格式"), default="", choices=options([
        ("", _l("按扩展名判断")), ("xlsx", "Excel (.xlsx)"), ("csv", "CSV"),
        ("gift", "GIFT (Moodle)"), ("aiken", "Aiken")]))
    mode = SelectField(_l("导入方式"), default="add", choices=options([
        ("add", _l("全部作为新题追加")), ("update", _l("编号相同的题更新，其余追加"))]))


class ImportConfirmForm(FlaskForm):
    token = HiddenField()
    filename = HiddenField()
    target = HiddenField()
    format = HiddenField()
    mode = HiddenField()


class AuthorForm(FlaskForm):
    phone = StringField(_l("合作编写人的手机号"), validators=[DataRequired(), Length(max=20)])
