"""Running Luna: jobs, health, logs, the system report."""
