"""Translation helpers: marking text that cannot be translated yet, messages that carry their
parameters, and the templates' gettext.

``N_("…")`` returns its argument unchanged; it only tells ``pybabel extract`` (``N_`` is one of
Babel's default keywords) that the string is a msgid. Use it for text made outside a request —
module-level labels, service error messages — that is translated when it is shown:
``{{ _(item.label) }}``, ``error.translated()``.

A message with parameters is a :class:`Message`: ``Message(N_("代码 %(code)s 已被使用。"),
code=code)``. It reads as the finished Chinese text (logs, the command line, ``str(error)``), and
``translated()`` gives it in the reader's language with the same parameters filled in.
"""
from flask import g
from flask_babel import get_translations


def N_(message: str) -> str:
    return message


class Message(str):
    """The Chinese text of a msgid with its parameters, which can be shown translated later."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params):
        text = super().__new__(cls, str(msgid) % params if params else str(msgid))
        text.msgid, text.params = str(msgid), params
        return text

    def translated(self) -> str:
        """In the current request's language; parameters that are messages are translated too."""
        params = {key: translated_text(value) if isinstance(value, Message) else value
                  for key, value in self.params.items()}
        text = _translations().ugettext(self.msgid)
        return text % params if params else text


def translated_text(value) -> str:
    """Anything shown to a reader, in the request's language: a :class:`Message`, a domain
    error (anything with ``translated()``), a :class:`lms.core.problems.Problem` (with its
    place), or a plain msgid."""
    from lms.core.problems import Problem, translated

    translate = getattr(value, "translated", None)
    if callable(translate):
        return translate()
    if isinstance(value, Problem):
        return translated(value)
    return _translations().ugettext(str(value))


def _translations():
    """The request's catalogue, found once per request: Flask-Babel looks it up on every call
    (several context lookups each), and a page has some sixty strings."""
    translations = g.get("_fieldside_translations")
    if translations is None:
        translations = g._fieldside_translations = get_translations()
    return translations


def install_template_gettext(app) -> None:
    """Give templates ``_``/``gettext``/``ngettext`` that use the request's catalogue (replaces
    what Flask-Babel installs; the same newstyle semantics: autoescaped, ``%(name)s`` filled)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
