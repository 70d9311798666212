"""The run report: a self-contained HTML folder (``DIR/report/index.html`` plus pages and SVG
charts beside it) that opens from disk with no network.

    collect    what the report shows, read from a finished run folder in streaming passes
    charts     static SVG charts (matplotlib, Agg backend)
    markup     escaping and HTML building blocks
    pages      overview, cluster pages, document list;  document: one document at every stage
    history    a daily root's history page
    write      the folder, written atomically
"""
from storydedup.pipeline.report.collect import ReportLimits
from storydedup.pipeline.report.write import write_report

__all__ = ["ReportLimits", "write_report"]
