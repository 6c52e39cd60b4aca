"""Read side of the index: every answer the API and the pages give, as response models.

One `Store` per request, around that request's own cursor. The JSON routes and the HTML pages
both call these methods, so they can never disagree. The reads are grouped by family:
`index.store_projects`, `index.store_sessions` (with message lists, `index.messages`) and
`index.store_metrics` and `index.store_accuracy`, on the shared `index.reads.Reader`.
"""

from __future__ import annotations

from claude_code_tracer.index.store_accuracy import AccuracyReads
from claude_code_tracer.index.store_metrics import MetricReads
from claude_code_tracer.index.store_projects import ProjectReads


class Store(ProjectReads, MetricReads, AccuracyReads):
    """Every read of the index (see the families it is made of)."""
