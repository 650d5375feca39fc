"""Luna adapters extract layer."""
