"""Signals sent by the registration services, after flush, inside the request's transaction."""
from blinker import Namespace

_signals = Namespace()

# sender: a new Registration not yet written nor in the session, before its event's lock
# is taken. Receivers do here what does not depend on the seat (idempotent writes such
# as the address's feed token, loading what they will read later), so the locked section
# stays short.
registration_preparing = _signals.signal("registration-preparing")

# sender: the Registration (new row, any status); kwarg `new=True`. Receivers: newsletter
# opt-in, reminders.
registration_created = _signals.signal("registration-created")

# sender: the Registration that was cancelled (by the attendee or an organiser).
registration_cancelled = _signals.signal("registration-cancelled")

# sender: the Registration promoted from the waiting list to confirmed.
registration_promoted = _signals.signal("registration-promoted")

# sender: the Registration an e-mail is about to be queued for; kwarg `method`: the iTIP
# method ("REQUEST" for a confirmed seat, "CANCEL" for a cancellation). Each receiver
# returns a list of outbox attachments (the calendars capability: the invite). With the
# kwarg `records` (a list) the registration is not yet written: receivers append the rows
# they would add there, unsaved, and the registration service adds them after the seat.
invite_wanted = _signals.signal("registration-invite-wanted")

# sender: the Registration just anonymised (erased by the attendee or by the retention job),
# its personal fields already blank; kwargs `email` (the address it had) and
# `address_still_live` (whether another live registration of that address remains).
# Receivers delete their rows that hold or point at the person's data.
registration_anonymised = _signals.signal("registration-anonymised")
