"""Scheduler process: APScheduler started only by `flask scheduler run`."""
