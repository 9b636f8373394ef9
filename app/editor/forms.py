"""Editor forms."""

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import Optional, ValidationError

from app.core.i18n import lazy_gettext as _l


class CommentPeriodForm(FlaskForm):
    opens = DateField(_l("Opens on"), validators=[Optional()])
    closes = DateField(_l("Closes on"), validators=[Optional()])

    def validate_closes(self, field):
        if field.data and self.opens.data and field.data < self.opens.data:
            raise ValidationError(_l("The period cannot close before it opens."))
