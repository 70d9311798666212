"""Scorers for the evaluation sets (metrics as defined in the sets' README).

Whole set: ``score_set(set_dir, documents, rejects)`` then ``format_report(name, metrics)``;
``load_output(output_dir)`` reads a pipeline output folder. Low-level pieces work on plain
mappings so stages can be tuned without running the pipeline:
``score_boilerplate(gold_rows, outputs_by_id)``, ``score_clusters(gold_labels, predicted_labels)``,
``score_pairs(pairs, predicted_labels)``, ``score_encoding(gold_rows, inputs_by_id, outputs_by_id)``;
``boilerplate_failures``, ``cluster_errors`` and ``pair_errors`` list where the points are lost.
"""
from storydedup.pipeline.evaluation.boilerplate import body_units, score_boilerplate, score_html_snippets, token_prf
from storydedup.pipeline.evaluation.diagnostics import boilerplate_failures, cluster_errors, pair_errors
from storydedup.pipeline.evaluation.encoding import norm_encoding, score_encoding
from storydedup.pipeline.evaluation.grouping import predicted_or_singleton, score_clusters, score_near_dup_links, score_pairs
from storydedup.pipeline.evaluation.report import format_report
from storydedup.pipeline.evaluation.scoring import coverage, lookup, score_set
from storydedup.pipeline.evaluation.sets import load_output, read_meta, read_rows, set_file
from storydedup.pipeline.evaluation.tokens import contains_snippet, joined, norm_exact, tokens

__all__ = [
    "boilerplate_failures", "cluster_errors", "pair_errors", "predicted_or_singleton",
    "body_units", "contains_snippet", "coverage", "format_report", "joined", "load_output",
    "lookup", "norm_encoding", "norm_exact", "read_meta", "read_rows", "score_boilerplate",
    "score_clusters", "score_encoding", "score_html_snippets", "score_near_dup_links",
    "score_pairs", "score_set", "set_file", "token_prf", "tokens",
]
