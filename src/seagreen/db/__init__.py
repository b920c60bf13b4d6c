"""Storage: metadata, engines, sessions and the unit of work."""
