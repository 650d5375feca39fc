"""Fine-tuning (issue #17): the LoRA template, the adapter registry's rules and the gates, without I/O."""
