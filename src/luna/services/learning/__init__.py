"""Learning from use: events, ratings, privacy, the learning job, metrics, recommendations."""
