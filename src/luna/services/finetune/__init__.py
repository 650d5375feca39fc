"""Fine-tuning Luna's answer model: data, training and the metrics that judge the result."""
