"""The data flywheel's pure rules: KPIs from sessions, thresholds, alerts and the actions they start."""
