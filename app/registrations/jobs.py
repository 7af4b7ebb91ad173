"""Periodic jobs of this capability, registered with app.scheduler.registry.job."""
