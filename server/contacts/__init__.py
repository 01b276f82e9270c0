"""Contacts (yhteydenotto): every contact a counsellor handles, anonymous or linked to a client."""
