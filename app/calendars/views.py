"""Views of the calendars capability."""
