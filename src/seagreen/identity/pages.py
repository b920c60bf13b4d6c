"""Sign in and sign out (登录/退出) in the browser."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from seagreen.config import Settings
from seagreen.identity import service
from seagreen.identity.access import SESSION_COOKIE, OptionalPrincipal, actor_of, new_form_token, verify_csrf
from seagreen.web.deps import WriteSession, get_locale, get_settings_dep
from seagreen.web.i18n import translate
from seagreen.web.rendering import render

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "sg_login_csrf"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_form(
    request: Request,
    settings: Settings,
    next_url: str,
    *,
    error_key: str | None = None,
    status: int = 200,
    username: str = "",
) -> Response:
    token = new_form_token()
    error = translate(error_key, get_locale(request)) if error_key else None
    response = render(
        request,
        "identity/login.html",
        {"csrf": token, "next": next_url, "error": error, "username": username},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, principal: OptionalPrincipal, next: str = "/") -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, get_settings_dep(request), safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: WriteSession,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    settings = get_settings_dep(request)
    target = safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf.encode()):
        return _login_form(
            request, settings, target, error_key="identity.login.form_expired", status=403, username=username
        )
    result = service.login(session, username, password, session_hours=settings.session_hours)
    session.commit()  # a failure is recorded too: the lockout counter and the audit event
    if not result.ok or result.session_token is None:
        return _login_form(
            request, settings, target, error_key="identity.login.failed", status=401, username=username
        )
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.session_token,
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: WriteSession,
    principal: OptionalPrincipal,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if principal is not None and principal.csrf is not None and token:
        verify_csrf(principal, csrf)
        service.logout(session, token, actor=actor_of(principal))
        session.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
