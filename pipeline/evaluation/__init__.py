"""Scorers for the evaluation sets (metrics as defined in the sets' README).

Low-level pieces work on plain mappings so stages can be tuned without running the pipeline:
``score_boilerplate(gold_rows, outputs_by_id)``, ``score_clusters(gold_labels, predicted_labels)``,
``score_pairs(pairs, predicted_labels)``, ``score_encoding(gold_rows, inputs_by_id, outputs_by_id)``.
"""
from .boilerplate import body_units, score_boilerplate, score_html_snippets, token_prf
from .grouping import score_clusters, score_near_dup_links, score_pairs
from .tokens import contains_snippet, joined, norm_exact, tokens

__all__ = [
    "body_units", "contains_snippet", "joined", "norm_exact", "score_boilerplate",
    "score_clusters", "score_html_snippets", "score_near_dup_links", "score_pairs", "token_prf",
    "tokens",
]
