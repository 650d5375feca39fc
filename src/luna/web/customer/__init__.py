"""The customer dashboard: overview, energy, market, recommendations, questions."""
