"""/api/accuracy: how each total was formed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from claude_code_tracer.index.models.accuracy import Accuracy
from claude_code_tracer.web.deps import RangeDep, RuntimeDep, StoreDep

router = APIRouter(prefix="/api/accuracy", tags=["accuracy"])


@router.get(
    "",
    response_model=Accuracy,
    summary="What was read, skipped, collapsed, recovered and priced to form the totals",
)
def accuracy(
    store: StoreDep,
    runtime: RuntimeDep,
    rng: RangeDep,
    project: Annotated[str | None, Query(max_length=300)] = None,
    session: Annotated[str | None, Query(max_length=300)] = None,
) -> Accuracy:
    if session and not project:
        raise HTTPException(status_code=422, detail="session needs its project")
    return store.accuracy(project or None, session or None, rng, runtime.data_dirs())
