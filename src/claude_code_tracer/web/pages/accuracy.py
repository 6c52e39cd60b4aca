"""The accuracy page: how each total was formed, for everything, a project or a session."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claude_code_tracer.web.deps import RuntimeDep, StoreDep, ViewDep, lenient_text
from claude_code_tracer.web.templating import page_response, palette

router = APIRouter()


@router.get("/accuracy", response_class=HTMLResponse, include_in_schema=False)
def accuracy_page(
    request: Request, store: StoreDep, runtime: RuntimeDep, view: ViewDep
) -> Response:
    project = lenient_text(view.params.get("project")) or None
    session = (lenient_text(view.params.get("session")) or None) if project else None
    report = store.accuracy(project, session, view.range.rng, runtime.data_dirs())
    view.palette = palette(store)
    scope = "all projects"
    crumbs: list[tuple[str, str | None]] = []
    if project:
        name = store.project_path(project) or project
        crumbs.append((name, view.project_url(project)))
        scope = name
        if session:
            crumbs.append((session[:8], view.session_url(project, session)))
            scope = f"session {session}"
    crumbs.append(("Accuracy", None))
    context = {
        "view": view,
        "report": report,
        "scope": scope,
        "project": project,
        "session": session,
        "title": "Accuracy · claude-code-tracer",
        "crumbs": crumbs,
        "live": {"scope": "accuracy"},
    }
    return page_response(request, "accuracy.html", context)
