from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    phone = StringField(_l("手机号"), validators=[DataRequired(_l("请填写手机号。")),
                                                Length(max=20)],
                        render_kw={"inputmode": "numeric", "autocomplete": "username"})
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码。")),
                                                   Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"),
                            validators=[DataRequired(_l("请填写当前密码。")), Length(max=128)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("新密码（至少 8 位）"),
                        validators=[DataRequired(_l("请填写新密码。")), Length(max=128)],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("再输入一次新密码"),
                            validators=[EqualTo("new", _l("两次输入的新密码不一致。"))],
                            render_kw={"autocomplete": "new-password"})
