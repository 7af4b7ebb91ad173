"""Views of the registrations capability."""
