"""Fine-tuning backends: PEFT + TRL training, transformers generation, GGUF export, MLflow tracking."""
