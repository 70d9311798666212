"""The Luigi layer: one task per (stage, shard); each calls plain functions in ``storydedup.pipeline``.

``luigi --module storydedup.tasks Publish --inputs '["sample"]' --output-dir out --local-scheduler``
runs it all; ``luigi --module storydedup.tasks DailyBatch --date 2026-11-21 --inputs '["/data/{date}"]'
--root /srv/storydedup`` runs one daily batch (see daily.py). Imports point one way:
cli -> daily -> publish -> stages -> read -> base -> pipeline.
"""
from luigi.tools.range import RangeDailyBase  # noqa: F401  (backfills: `--of DailyBatch`)

# Re-exported so that `luigi --module storydedup.tasks` finds every task.
from storydedup.tasks.daily import DailyBatch  # noqa: F401
from storydedup.tasks.publish import Publish  # noqa: F401
from storydedup.tasks.read import ReadInputs  # noqa: F401
from storydedup.tasks.stages import (  # noqa: F401
    Clusters,
    ExtractHTML,
    RepairText,
    Signatures,
    SiteTemplate,
    StripBoilerplate,
)
