"""Views of the documents capability."""
