"""The learning loop's computations: popularity and quality scores from events and ratings, how much
they move between versions, how much boost retrieval takes from them, and when the nightly run is due.

Pure functions and accumulators without I/O: the learning service streams the repositories' rows in
and stores what comes out, so every rule here is tested with hand-computed numbers.
"""
