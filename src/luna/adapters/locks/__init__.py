"""Cross-process locks (``ports/process_locks.py``): ``flock`` files for one host, PostgreSQL advisory
locks for every host that shares the database."""
