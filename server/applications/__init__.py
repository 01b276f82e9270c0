"""Applications (hakemukset): received, handled, decided; counted per handler."""
