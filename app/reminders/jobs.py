"""Periodic jobs of the reminders capability."""
