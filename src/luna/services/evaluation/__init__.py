"""Evaluation: golden questions through retrieval and answers, kept runs."""
