"""Uploaded lists (CSV or XLSX) held between preview and confirmation; what is imported
from them belongs to the capability that imports it (registrations, newsletter)."""
