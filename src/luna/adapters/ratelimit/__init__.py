"""Rate limiting on the ``limits`` library (moving windows, in memory or shared through Redis)."""
