"""Translation helpers: marking text that cannot be translated yet, and the templates' gettext.

``N_("…")`` returns its argument unchanged; it only tells ``pybabel extract`` (``N_`` is one of
Babel's default keywords) that the string is a msgid. Use it for text made outside a request —
service error messages, module-level labels — that a view or template translates when it shows
it: ``_(str(error))``, ``{{ _(item.label) }}``.
"""
from flask import g
from flask_babel import get_translations


def N_(message: str) -> str:
    return message


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
