"""One handler for every DomainError: JSON under /api, a translated HTML page elsewhere."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from seagreen.errors import DomainError
from seagreen.web.deps import get_locale
from seagreen.web.i18n import catalogue, translate
from seagreen.web.rendering import render

API_PREFIX = "/api/"

_GENERIC = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid_input"}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or "application/json" in request.headers.get("accept", "")


def _login_redirect(request: Request) -> Response:
    """A page that needs a signed-in user sends the browser to the login form, and back after."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/"  # a form post cannot be replayed by a redirect
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def _page(request: Request, status: int, code: str, message: str) -> Response:
    if status == 401:
        return _login_redirect(request)
    locale_key = (
        f"error.{code}" if f"error.{code}" in catalogue() else f"error.{_GENERIC.get(status, 'title')}"
    )
    headline = translate(locale_key, get_locale(request))
    return render(request, "error.html", {"message": headline, "detail": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        if _wants_json(request):
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            return JSONResponse({"error": exc.to_dict()}, status_code=exc.status, headers=headers)
        return _page(request, exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(part) for part in error["loc"]), "reason": error["msg"]}
            for error in exc.errors()
        ]
        body = {
            "error": {
                "code": "invalid_input",
                "message": "the request is not valid",
                "details": {"errors": errors},
            }
        }
        if _wants_json(request):
            return JSONResponse(body, status_code=422)
        return _page(request, 422, "invalid_input", "; ".join(f"{e['field']}: {e['reason']}" for e in errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _GENERIC.get(exc.status_code, "error")
        if _wants_json(request):
            return JSONResponse(
                {"error": {"code": code, "message": str(exc.detail)}}, status_code=exc.status_code
            )
        return _page(request, exc.status_code, code, str(exc.detail))
