"""Offline research code, never on the live path: retrieval metrics and CheckThat! readers
(`metrics`), the CheckThat! and labelled-posts evaluations (`claims_eval`, `posts_eval`), the
re-ranker's training (`rerank_train`, which rebuilds the shipped weights) and optional
fine-tuning of the embedding model (`finetune`)."""
