"""Form pieces every domain shares (a domain imports another's forms never, these always)."""
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as select options (WTForms 3.3 deprecates bare tuples)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class EmptyForm(FlaskForm):
    """A button that POSTs: only the CSRF token."""
