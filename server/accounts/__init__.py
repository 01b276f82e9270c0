"""Accounts: staff users, their role assignments, sign-in sessions and tokens."""
