"""Models of the calendars capability."""
