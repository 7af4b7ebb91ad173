"""Views of the mail capability."""
