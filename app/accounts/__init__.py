"""Accounts: registration, confirmation, log-in, password reset, profile, API tokens."""
