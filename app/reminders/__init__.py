"""Event reminders and follow-ups: rows with a due time and a sent mark."""
