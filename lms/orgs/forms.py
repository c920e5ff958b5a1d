from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.auth.models import STATUS_LABELS
from lms.core.forms import options

KIND_LABELS = {
    "county": _l("县委"), "township": _l("乡镇党委"), "village_committee": _l("村党委"),
    "general_branch": _l("党总支"), "branch": _l("党支部"), "group": _l("党小组"),
}
STATUS_CHOICES = options([("", _l("（非党员）"))] +
                         [(key, _l(label)) for key, label in STATUS_LABELS.items()])
ROLE_LABELS = {
    "secretary": _l("书记"), "deputy": _l("副书记"), "organizer": _l("组织委员"),
    "propaganda": _l("宣传委员"), "discipline": _l("纪检委员"), "group_leader": _l("党小组长"),
    "trainer": _l("讲师"), "admin": _l("管理员"),
}


class OrgForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=80)])
    kind = SelectField(_l("类型"), choices=options(KIND_LABELS.items()))
    code = StringField(_l("代码（字母数字，如 V03）"), validators=[DataRequired(), Length(max=32)])


class RenameForm(FlaskForm):
    name = StringField(_l("新名称"), validators=[DataRequired(), Length(max=80)])


class MoveForm(FlaskForm):
    parent = SelectField(_l("移到"), coerce=int)


class MemberForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=60)])
    status = SelectField(_l("党员状态"), choices=STATUS_CHOICES)
    org = SelectField(_l("所在党组织"), coerce=int)
    is_mobile = BooleanField(_l("流动党员"))
    mobile_where = StringField(_l("流动去向"), validators=[Optional(), Length(max=120)])
    mobile_contact = StringField(_l("联系人"), validators=[Optional(), Length(max=60)])
    is_exempt = BooleanField(_l("年老体弱或患病，学习不作硬性要求"))
    exempt_reason = StringField(_l("原因"), validators=[Optional(), Length(max=120)])


class NewMemberForm(FlaskForm):
    name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=60)])
    phone = StringField(_l("手机号"), validators=[DataRequired(), Length(max=20)])
    status = SelectField(_l("党员状态"), choices=STATUS_CHOICES, default="full")


class RoleForm(FlaskForm):
    role = SelectField(_l("职务"), choices=options(ROLE_LABELS.items()))
    org = SelectField(_l("在哪个组织"), coerce=int)


class RosterUploadForm(FlaskForm):
    file = FileField(_l("花名册文件（.xlsx 或 .csv）"), validators=[FileRequired()])


class RosterConfirmForm(FlaskForm):
    filename = HiddenField()
    token = HiddenField()
