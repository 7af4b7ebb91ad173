"""Signals sent by the back-office operations; other capabilities react to them.

Receivers run inside the same transaction as the change (before the commit), so
whatever they queue in the outbox is committed or rolled back together with it.
"""
from blinker import Namespace

_signals = Namespace()

# sender: the Event; kwargs: changes={field: (old, new)}, user=User|None.
# Sent after an edit is flushed. Fields of interest: starts_at, ends_at, timezone,
# venue_id, format, status, capacity, capacity_in_person, capacity_online, and
# "sessions" when the programme or a registrable part changed.
event_updated = _signals.signal("event-updated")

# sender: the Event; kwargs: user. Sent when an event goes from draft to published.
event_published = _signals.signal("event-published")

# sender: the Event; kwargs: user. Sent when an organiser cancels an event.
event_cancelled = _signals.signal("event-cancelled")

# sender: the Material; kwargs: user. Sent when a material (e.g. a recording) is added.
material_published = _signals.signal("material-published")

# sender: the Session (a registrable part); kwargs: changes, user.
part_capacity_changed = _signals.signal("part-capacity-changed")
