"""The data flywheel: sessions in (webhook, Luna's own answers), KPIs, thresholds, alerts out."""
