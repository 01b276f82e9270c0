"""Units and capacity: short-term stays, 24h-housing residencies, capacity changes and free places."""
