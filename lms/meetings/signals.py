"""What meetings tell later domains (reports: learning records out), without knowing them.
Receivers run inside the closing transaction and never commit."""
from blinker import Namespace

_signals = Namespace()

#: sender: the Meeting; kwargs: attended — the ids of the members marked present (guests from
#: other branches too), when the record is closed (签发), once per meeting
meeting_closed = _signals.signal("meeting-closed")
#: sender: the Meeting; kwargs: user_id, present — after the record was closed, a member became
#: present (a QR check-in, a correction) or stopped being present (a correction)
attendance_changed = _signals.signal("attendance-changed")
