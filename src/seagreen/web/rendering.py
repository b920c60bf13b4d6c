"""Jinja2 pages: one template environment, the translation function and the shared layout."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from seagreen.web.deps import LANG_COOKIE, get_locale
from seagreen.web.i18n import translate

TEMPLATES_DIR = Path(__file__).with_name("templates")
STATIC_DIR = Path(__file__).with_name("static")


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=str(TEMPLATES_DIR))


def template_dirs() -> list[Path]:
    return [TEMPLATES_DIR]


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render ``template`` in the request's language, with ``t()`` bound to that language."""
    locale = get_locale(request)

    def t(key: str, **params: Any) -> str:
        return translate(key, locale, **params)

    data = {
        "request": request,
        "locale": locale,
        "t": t,
        "principal": getattr(request.state, "principal", None),
    }
    data.update(context or {})
    response = templates().TemplateResponse(request, template, data, status_code=status_code)
    if request.query_params.get("lang"):
        response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86_400, samesite="lax")
    return response
