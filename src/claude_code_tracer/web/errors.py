"""Every error answer, JSON or HTML, and the handlers that give them.

The API answers errors in one shape (`ErrorResponse`); a page, or a browser asking for one,
gets a clear page (for htmx, a small box) instead. Unknown ids are 404s, invalid parameters
422s, anything unforeseen a 500 whose details go to the log only.
"""

from __future__ import annotations

import logging
from typing import Any

import duckdb
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from claude_code_tracer.index.models.system import ErrorBody, ErrorResponse
from claude_code_tracer.index.reads import NotFound
from claude_code_tracer.index.search_query import SearchSyntaxError
from claude_code_tracer.runtime import Runtime
from claude_code_tracer.web.deps import get_view
from claude_code_tracer.web.templating import is_htmx, page_response, wants_html

log = logging.getLogger(__name__)

ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_parameters",
    500: "internal_error",
}
NOT_FOUND_HELP = {
    "project": (
        "There is no project with this id in the index. A project shows up once one of its "
        "sessions has an entry."
    ),
    "session": "There is no session with this id in this project.",
    "subagent": "There is no subagent with this id in this session.",
    "message": "This entry is not in the index (the transcript may have changed).",
    "tool call": "This tool call is not in the entry.",
    "price table": "No price table is loaded.",
}
# the API's error answers, as documented in its schema
API_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse},
    422: {"model": ErrorResponse},
}


def error_response(
    status: int, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(
            status=status,
            code=ERROR_CODES.get(status, "error"),
            message=message,
            details=details or [],
        )
    )
    return JSONResponse(body.model_dump(), status_code=status)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """A clear page (or, for htmx, a small box) instead of a stack trace."""
    template = "_error.html" if is_htmx(request) else "error.html"
    return page_response(
        request,
        template,
        {"view": get_view(request), "status_code": status, "heading": title, "message": message},
        status,
    )


def not_found_page(request: Request, what: str) -> HTMLResponse:
    return error_page(
        request,
        404,
        f"{what.capitalize()} not found",
        NOT_FOUND_HELP.get(what, "Nothing is at this address."),
    )


def register(app: FastAPI, runtime: Runtime) -> None:
    """The app's exception handlers: each error in the form the request wants."""

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        if wants_html(request):
            return not_found_page(request, exc.what)
        return error_response(404, f"{exc.what} not found")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint"
        if wants_html(request):
            if exc.status_code == 404:
                return error_page(request, 404, "Page not found", "Nothing is at this address.")
            return error_page(request, exc.status_code, "Request failed", message)
        return error_response(exc.status_code, message)

    @app.exception_handler(SearchSyntaxError)
    async def bad_search(request: Request, exc: SearchSyntaxError) -> Response:
        details = [{"loc": ["query", "q"], "msg": exc.reason, "position": exc.position}]
        return error_response(422, f"invalid search: {exc}", details)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        if wants_html(request):
            return error_page(
                request, 422, "Invalid address", "Some part of this address is not valid."
            )
        return error_response(422, "invalid parameters", details)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        if isinstance(exc, duckdb.Error) and "corrupt" in str(exc).lower():
            runtime.request_check()  # a damaged index block: read it all, rebuild if need be
        if wants_html(request):
            return error_page(
                request,
                500,
                "Something went wrong",
                "This page could not be built. The details are in the server log.",
            )
        return error_response(500, "internal error")
