"""Simulators of energy data: pure, vectorised, deterministic for a seed."""
