"""Signals sent by the account services, inside the request's transaction."""
from blinker import Namespace

_signals = Namespace()

# sender: the User who asked for a forgotten-password link; kwargs `url` (the link, its
# secret included), `minutes` (how long it works) and `language`. The mail capability
# queues the e-mail (through its per-address cool-down).
password_reset_requested = _signals.signal("password-reset-requested")
