"""Marking text for translation where it cannot be translated yet.

``N_("…")`` returns its argument unchanged; it only tells ``pybabel extract`` (``N_`` is one of
Babel's default keywords) that the string is a msgid. Use it for text made outside a request —
service error messages, module-level labels — that a view or template translates when it shows
it: ``_(str(error))``, ``{{ _(item.label) }}``.
"""


def N_(message: str) -> str:
    return message
