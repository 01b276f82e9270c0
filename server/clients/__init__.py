"""Clients (asiakas): the person receiving services and their service relationships to units."""
