"""Devices: shared tablets enrolled to a unit, personal devices registered on sign-in, revocation."""
