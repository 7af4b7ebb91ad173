"""Signals sent by the registration services, after flush, inside the request's transaction."""
from blinker import Namespace

_signals = Namespace()

# sender: the Registration (new row, any status). Receivers: newsletter opt-in.
registration_created = _signals.signal("registration-created")

# sender: the Registration that was cancelled (by the attendee or an organiser).
registration_cancelled = _signals.signal("registration-cancelled")

# sender: the Registration promoted from the waiting list to confirmed.
registration_promoted = _signals.signal("registration-promoted")

# sender: the Registration an e-mail is about to be queued for; kwarg `method`: the iTIP
# method ("REQUEST" for a confirmed seat, "CANCEL" for a cancellation). Each receiver
# returns a list of outbox attachments (the calendars capability: the invite).
invite_wanted = _signals.signal("registration-invite-wanted")
