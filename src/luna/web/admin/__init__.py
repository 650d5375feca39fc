"""The admin dashboard: home, corpus, upload, jobs, activity, logs."""
