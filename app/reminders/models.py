"""Models of the reminders capability."""
