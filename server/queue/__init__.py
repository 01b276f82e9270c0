"""Referrals, the placement queue and place offers (SAS: selvitä-arvioi-sijoita)."""
