"""The Luigi layer: one task per (stage, shard); each calls plain functions in ``pipeline``.

``luigi --module tasks Publish --inputs '["sample"]' --output out --local-scheduler`` runs it all;
``luigi --module tasks DailyBatch --date 2026-11-21 --inputs '["/data/{date}"]' --root /srv/storydedup``
runs one daily batch (see tasks/daily.py).
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
from luigi.tools.range import RangeDailyBase  # noqa: F401,E402  (backfills: `--of DailyBatch`)

from .daily import DailyBatch  # noqa: F401,E402
