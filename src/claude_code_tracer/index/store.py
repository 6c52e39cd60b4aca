"""Read side of the index: every answer the API and the pages give, as response models.

One `Store` per request, around that request's own cursor. The JSON routes and the HTML pages
both call these methods, so they can never disagree. The reads are grouped by family:
`index.store_projects`, `index.store_sessions` (with message lists, `index.messages`),
`index.store_metrics`, `index.store_accuracy`, `index.store_reports`,
`index.store_windows` and `index.store_prompts`, on the shared `index.reads.Reader`.
"""

from __future__ import annotations

from claude_code_tracer.index.store_accuracy import AccuracyReads
from claude_code_tracer.index.store_metrics import MetricReads
from claude_code_tracer.index.store_projects import ProjectReads
from claude_code_tracer.index.store_prompts import PromptReads
from claude_code_tracer.index.store_reports import ReportReads
from claude_code_tracer.index.store_search import SearchReads
from claude_code_tracer.index.store_windows import WindowReads


class Store(
    ProjectReads, MetricReads, AccuracyReads, ReportReads, WindowReads, PromptReads, SearchReads
):
    """Every read of the index (see the families it is made of)."""
