"""The one form of the quiz pages that staff fill in: more attempts for a member."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange


class GrantForm(FlaskForm):
    extra = IntegerField(_l("增加次数"), default=1,
                         validators=[DataRequired(), NumberRange(min=1, max=3)])
    reason = StringField(_l("原因（必填，如“已补学课文，申请重考”）"),
                         validators=[DataRequired(), Length(min=2, max=200)])
