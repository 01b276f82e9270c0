"""Events (tapahtumat): guidance events and info sessions, their participant counts and named participants."""
