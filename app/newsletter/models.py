"""Models of the newsletter capability."""
