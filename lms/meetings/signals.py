"""What meetings tell later domains (reports: learning records out), without knowing them.
Receivers run inside the closing transaction and never commit."""
from blinker import Namespace

_signals = Namespace()

#: sender: the Meeting; kwargs: attended — the ids of the members marked present, when the
#: record is closed (签发), once per meeting
meeting_closed = _signals.signal("meeting-closed")
