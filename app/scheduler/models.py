"""Models of the scheduler capability."""
