"""Answers kept for reuse: the response cache, the data versions it is keyed by, learned reads."""
