"""The Luigi layer: one task per (stage, shard); each calls plain functions in ``pipeline``.

``luigi --module tasks Publish --inputs '["sample"]' --output out --local-scheduler`` runs it all.
"""
from .stages import (  # noqa: F401  (re-exported so `luigi --module tasks` finds every task)
    Clusters,
    ExtractHTML,
    Publish,
    ReadInputs,
    RepairText,
    Signatures,
    SiteTemplate,
    StripBoilerplate,
)
