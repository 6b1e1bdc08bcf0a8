"""The dashboard's ASGI app: routes, who may open each, and how errors look.

Every route is declared in `ROUTES` with the roles that may open it; the
`page` wrapper enforces it before the handler runs (and checks the CSRF
token of every POST), so a route cannot be added without saying who may use
it — `tests/web/test_access.py` walks this table. Handlers are plain
functions that read the store through `hub.web.data` and return a template
name and its values, or a response.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import secrets as pysecrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Connection
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hub import secrets
from hub.config import HubConfig
from hub.errors import HubError
from hub.exporting import spreadsheet_cell
from hub.store.database import Store
from hub.web import charts, data, i18n, inquiries, users, whatif
from hub.web.data import BadInput, Forbidden, NotFound, Scope

log = logging.getLogger("hub.web")

ALL = ("admin", "lead", "manager")
ADMIN = ("admin",)
STAFF = ("admin", "lead")
MANAGER = ("manager",)
PUBLIC: tuple[str, ...] = ()
"""Routes anyone may open (the login page, static files, the health check)."""


@dataclass
class View:
    """What a handler gets: the request, who is asking, in which language."""

    request: Request
    user: users.User
    scope: Scope
    locale: i18n.Locale
    app: HubApp

    def param(self, name: str) -> str | None:
        value = self.request.query_params.get(name)
        return value.strip() if value and value.strip() else None

    def read(self) -> Any:
        return self.app.store.read()


@dataclass
class Page:
    template: str
    values: dict[str, Any]
    status: int = 200


class LoginLimiter:
    """Failed logins per (address, user name) in a sliding window, in memory:
    enough for one `hub serve` process (several processes: put the limit in
    the reverse proxy)."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts, self.window = attempts, window
        self._failed: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, key: tuple[str, str]) -> bool:
        with self._lock:
            times = self._failed[key]
            while times and times[0] < time.monotonic() - self.window:
                times.popleft()
            return len(times) >= self.attempts

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            now = time.monotonic()
            self._failed[key].append(now)
            if len(self._failed) > 10_000:  # many names tried: forget the expired ones
                for old in [k for k, v in self._failed.items() if v[-1] < now - self.window]:
                    del self._failed[old]

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failed.pop(key, None)


class HubApp:
    def __init__(self, config: HubConfig, store: Store) -> None:
        self.config = config
        self.store = store
        web = config.web
        self.trusted_header = (web.trusted_user_header or "").lower() or None
        self.limiter = LoginLimiter(web.login_attempts, web.login_window_seconds)
        folder = resources.files("hub.web") / "templates"
        self.templates = Environment(
            loader=FileSystemLoader(str(folder)),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["tojson_safe"] = _json_for_script

    # -- who is asking -------------------------------------------------------------------

    def current_user(self, request: Request) -> users.User | None:
        with self.store.read() as conn:
            if self.trusted_header:
                name = request.headers.get(self.trusted_header)
                if name:
                    return users.get(conn, name.strip())
            uid = request.session.get("uid")
            if not isinstance(uid, int):
                return None
            return _by_id(conn, uid)

    def locale(self, request: Request, user: users.User | None) -> i18n.Locale:
        chosen = request.session.get("lang") or (user.language if user else None)
        language = i18n.pick(request.headers.get("accept-language"), chosen)
        return i18n.Locale(language, self.config.zone)

    # -- rendering ---------------------------------------------------------------------------

    def render(
        self, request: Request, page: Page, view: View | None, locale: i18n.Locale
    ) -> Response:
        template = self.templates.get_template(page.template)
        values = {
            "t": locale.t,
            "fmt": locale,
            "lang": locale.language,
            "languages": i18n.LANGUAGES,
            "user": view.user if view else None,
            "csrf": csrf_token(request),
            "path": request.url.path,
            "query": str(request.url.query),
            "nav": _nav(view.user) if view else [],
            "has_identity": _has_identity(),
            **page.values,
        }
        return HTMLResponse(template.render(**values), status_code=page.status)

    def error_page(
        self, request: Request, status: int, message: str, view: View | None, locale: i18n.Locale
    ) -> Response:
        title = {400: "bad_request", 403: "forbidden", 404: "not_found"}.get(status, "error")
        page = Page("error.html", {"title": locale.t(title), "message": message}, status)
        return self.render(request, page, view, locale)


def _by_id(conn: Connection, uid: int) -> users.User | None:
    from sqlalchemy import select

    from hub.web.tables import web_users

    row = conn.execute(select(web_users).where(web_users.c.id == uid)).first()
    return users._user(row) if row else None


def _has_identity() -> bool:
    try:
        import hub.identity  # noqa: F401
    except ImportError:
        return False
    return True


def _json_for_script(value: Any) -> str:
    """JSON that is safe inside <script type="application/json">."""
    text = json.dumps(value, default=_plain, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value == value else None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | set):
        return list(value)
    return str(value)


def _nav(user: users.User) -> list[tuple[str, str]]:
    items = [("overview", "/overview")] if user.role != "manager" else []
    if user.role == "manager" and user.manager_id:
        items.append(("statement", f"/managers/{user.manager_id}"))
    items += [("findings", "/findings"), ("customers", "/customers"), ("inquiries", "/inquiries")]
    if user.role == "admin":
        items += [("sync", "/sync"), ("identity", "/identity")]
    return items


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = pysecrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def json_response(value: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(json.loads(json.dumps(value, default=_plain)), status_code=status)


# -- the wrapper every route goes through -----------------------------------------------------


def page(roles: tuple[str, ...], *, api: bool = False) -> Callable[..., Any]:
    def wrap(handler: Callable[[View], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            hub: HubApp = request.app.state.hub
            user = await run_in_threadpool(hub.current_user, request)
            locale = hub.locale(request, user)
            if user is None:
                if api:
                    return json_response({"error": "log in first"}, 401)
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
            view = View(request, user, Scope(user), locale, hub)
            if user.role not in roles:
                return _refuse(hub, request, view, api, locale.t("forbidden"))
            if request.method == "POST":
                form = await request.form()
                if not pysecrets.compare_digest(str(form.get("csrf", "")), csrf_token(request)):
                    return hub.error_page(request, 403, locale.t("csrf"), view, locale)
                request.state.form = form
            try:
                result = await run_in_threadpool(handler, view)
                if isinstance(result, Page):
                    return hub.render(request, result, view, locale)
            except Forbidden:
                return _refuse(hub, request, view, api, locale.t("forbidden"))
            except NotFound as exc:
                return _failure(hub, request, view, api, 404, str(exc))
            except (BadInput, HubError) as exc:
                return _failure(hub, request, view, api, 400, secrets.redact(str(exc)))
            except Exception:
                log.exception("%s %s failed", request.method, request.url.path)
                return _failure(hub, request, view, api, 500, "something went wrong; see the log")
            if isinstance(result, Response):
                return result
            return json_response(result)

        endpoint.roles = roles  # type: ignore[attr-defined]
        endpoint.api = api  # type: ignore[attr-defined]
        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


def _refuse(hub: HubApp, request: Request, view: View, api: bool, message: str) -> Response:
    if api:
        return json_response({"error": message}, 403)
    return hub.error_page(request, 403, message, view, view.locale)


def _failure(
    hub: HubApp, request: Request, view: View, api: bool, status: int, message: str
) -> Response:
    if api:
        return json_response({"error": message}, status)
    return hub.error_page(request, status, message, view, view.locale)


# -- pages ----------------------------------------------------------------------------------------


def _period(view: View, conn: Connection) -> tuple[str, list[str]]:
    period, known = data.choose_period(conn, view.param("period"))
    if period is None:
        raise NotFound("no rule results yet: run `hub rules run --period …` first")
    return period, known


def home(view: View) -> Response:
    user = view.user
    if user.role == "manager" and user.manager_id:
        return RedirectResponse(f"/managers/{user.manager_id}", status_code=303)
    return RedirectResponse("/overview", status_code=303)


def overview_values(view: View) -> dict[str, Any]:
    with view.read() as conn:
        period, known = _period(view, conn)
        values = data.overview(conn, period, view.scope)
    values["period"], values["periods"] = period, known
    return values


OVERVIEW_PAGE = 50
"""Scorecard rows per page of the overview: a lead's team fits on one; an admin's
500 managers are ten pages (the tiles and the ranked chart still cover everyone)."""


def overview(view: View) -> Page:
    values = overview_values(view)
    number = _page_number(view)
    cards = values["cards"]
    pages = max(1, -(-len(cards) // OVERVIEW_PAGE))
    if number > pages:
        raise NotFound(f"page {number}: the scorecards have {pages} page(s)")
    values["charts"] = {
        "ranked": charts.ranked(cards, view.locale),
        "trend": charts.trend(values["trend"], view.locale),
    }
    values["shown"] = cards[(number - 1) * OVERVIEW_PAGE : number * OVERVIEW_PAGE]
    values["page"], values["pages"] = number, pages
    query = {"period": values["period"]} if view.param("period") else {}
    values["page_link"] = lambda n: "/overview?" + urlencode({**query, "page": n})
    return Page("overview.html", values)


def _page_number(view: View) -> int:
    try:
        number = int(view.param("page") or 1)
    except ValueError:
        raise BadInput(f"page {view.param('page')!r}: a number") from None
    if number < 1:
        raise BadInput(f"page {number}: from 1")
    return number


def overview_api(view: View) -> dict[str, Any]:
    values = overview_values(view)
    return {k: values[k] for k in ("period", "meta", "cards", "teams", "trend", "notes")}


def manager_values(view: View) -> dict[str, Any]:
    ref = view.request.path_params["ref"]
    with view.read() as conn:
        period, known = _period(view, conn)
        values = data.manager_page(conn, view.app.config, period, ref, view.scope)
        values["inquiries"] = inquiries.listing(
            conn, view.scope, manager_id=values["manager"]["id"], period=period
        )
    values["period"], values["periods"] = period, known
    return values


def manager(view: View) -> Page:
    values = manager_values(view)
    values["charts"] = {
        "kpis": charts.kpis(values["goals"], view.locale),
        "monthly": charts.monthly(values["monthly"], view.locale),
        "tiers": charts.tiers(values["tiers"], view.locale),
        "weekly": charts.weekly(values["timeline"], view.locale),
    }
    values["lines"] = _statement_lines(values)
    values["kinds"] = inquiries.KINDS
    values["whatif"] = None
    return Page("manager.html", values)


def manager_api(view: View) -> dict[str, Any]:
    values = manager_values(view)
    values.pop("periods")
    return values


def _statement_lines(values: dict[str, Any]) -> list[str]:
    statement = values["statement"]
    lines = [e["item"] for e in statement["earnings"]]
    lines += [f"{p['rule']} {p['plan_period']}" for p in statement["payables"]]
    return lines


def manager_whatif(view: View) -> Page:
    form = view.request.state.form
    amount = whatif.parse_amount(str(form.get("amount", "")))
    values = manager_values(view)
    result = whatif.estimate(
        view.app.config,
        view.app.store,
        values["period"],
        values["manager"]["id"],
        amount,
        values["statement"]["payables"],
    )
    values["charts"] = {
        "kpis": charts.kpis(values["goals"], view.locale),
        "monthly": charts.monthly(values["monthly"], view.locale),
        "tiers": charts.tiers(values["tiers"], view.locale),
        "weekly": charts.weekly(values["timeline"], view.locale),
    }
    values["lines"] = _statement_lines(values)
    values["kinds"] = inquiries.KINDS
    values["whatif"] = result
    return Page("manager.html", values)


def inquiry_create(view: View) -> Response:
    form = view.request.state.form
    values = manager_values(view)
    with view.app.store.begin() as conn:
        inquiries.create(
            conn,
            view.scope,
            period=values["period"],
            manager_id=values["manager"]["id"],
            line=str(form.get("line", "")),
            kind=str(form.get("kind", "")),
            comment=str(form.get("comment", "")),
            lines=_statement_lines(values),
        )
    target = f"/managers/{values['manager']['id']}?period={values['period']}#inquiries"
    return RedirectResponse(target, status_code=303)


def inquiry_list(view: View) -> Page:
    with view.read() as conn:
        rows = inquiries.listing(conn, view.scope)
        people = _manager_refs(conn, {r["manager_id"] for r in rows}, view.scope)
    for r in rows:
        r["manager"] = people.get(r["manager_id"], {"ref": r["manager_id"], "name": ""})
    return Page("inquiries.html", {"rows": rows})


def inquiry_api(view: View) -> list[dict[str, Any]]:
    with view.read() as conn:
        return inquiries.listing(conn, view.scope)


def inquiry_move(view: View) -> Response:
    form = view.request.state.form
    try:
        inquiry_id = int(view.request.path_params["id"])
    except ValueError:
        raise BadInput("inquiry id: a number") from None
    to = str(form.get("to", ""))
    if to not in inquiries.STATUSES:
        raise BadInput(f"status {to[:40]!r}: one of {', '.join(inquiries.STATUSES)}")
    with view.app.store.begin() as conn:
        inquiries.move(conn, view.scope, inquiry_id, to, str(form.get("reason", "")))
    return RedirectResponse("/inquiries", status_code=303)


def _manager_refs(conn: Connection, ids: set[str], scope: Scope) -> dict[str, dict[str, str]]:
    from sqlalchemy import select

    from hub.masking import mask_name

    m = data.managers_t
    if not ids:
        return {}
    return {
        r.id: {"ref": r.source_id, "name": r.name if scope.unmasked else mask_name(r.name)}
        for r in conn.execute(select(m.c.id, m.c.source_id, m.c.name).where(m.c.id.in_(ids)))
    }


def findings_values(view: View, limit: int | None = data.FINDINGS_LIMIT) -> dict[str, Any]:
    filters = {k: view.param(k) for k in ("rule", "severity", "status", "team", "manager")}
    with view.read() as conn:
        period, known = _period(view, conn)
        values = data.findings(conn, period, view.scope, limit=limit, **filters)
    values.update(period=period, periods=known, filters=filters)
    return values


def findings(view: View) -> Page:
    values = findings_values(view)
    values["charts"] = {"per_rule": charts.per_rule(values["summary"], view.locale)}
    query = {k: v for k, v in values["filters"].items() if v}
    values["csv_link"] = "/findings.csv?" + urlencode({"period": values["period"], **query})
    values["severities"] = data.SEVERITIES
    values["statuses"] = data.STATUSES
    return Page("findings.html", values)


def findings_api(view: View) -> dict[str, Any]:
    values = findings_values(view)
    return {k: values[k] for k in ("period", "meta", "rows", "summary", "filters", "limited")}


CSV_COLUMNS = (
    "rule",
    "status",
    "severity",
    "subject",
    "name",
    "message",
    "suggested_action",
    "evidence",
)


def findings_csv(view: View) -> Response:
    values = findings_values(view, limit=None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in values["rows"]:
        writer.writerow([csv_cell(row.get(c)) for c in CSV_COLUMNS])
    name = f"findings-{values['period']}.csv"
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so spreadsheet programs read UTF-8 (Chinese) right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def csv_cell(value: Any) -> Any:
    """A finding's value as a CSV cell: structures as JSON, decimals exact, and
    never a formula (`hub.exporting.spreadsheet_cell`, as every export)."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=_plain)
    elif isinstance(value, Decimal):
        value = format(value, "f")
    return spreadsheet_cell(str(value))


def customers_values(view: View) -> dict[str, Any]:
    try:
        number = int(view.param("page") or 1)
    except ValueError:
        raise BadInput(f"page {view.param('page')!r}: a number") from None
    filters = {k: view.param(k) for k in ("q", "tier", "owner")}
    with view.read() as conn:
        values = data.customers(conn, view.app.config, view.scope, page=number, **filters)
    values["filters"] = filters
    return values


def customers(view: View) -> Page:
    values = customers_values(view)
    query = {k: v for k, v in values["filters"].items() if v}
    values["page_link"] = lambda n: "/customers?" + urlencode({**query, "page": n})
    return Page("customers.html", values)


def customers_api(view: View) -> dict[str, Any]:
    return customers_values(view)


def sync_values(view: View) -> dict[str, Any]:
    with view.read() as conn:
        return data.sync_health(conn)


def sync(view: View) -> Page:
    values = sync_values(view)
    values["charts"] = {"runs": charts.runs(values["runs"], view.locale)}
    return Page("sync.html", values)


def sync_api(view: View) -> dict[str, Any]:
    return sync_values(view)


def identity(view: View) -> Page:
    """The identity review queue (admins), once `hub.identity` is installed."""
    if not _has_identity():
        return Page("identity_review.html", {"queue": [], "available": False})
    from hub.web import identity as review

    with view.read() as conn:
        queue = review.queue(conn, view.scope)
    return Page("identity_review.html", {"queue": queue, "available": True})


def identity_decide(view: View) -> Response:
    if not _has_identity():
        raise NotFound("identity resolution is not installed")
    from hub.web import identity as review

    form = view.request.state.form
    review.decide(
        view.app.store,
        view.app.config,
        view.scope,
        str(form.get("entity", "")),
        str(form.get("a", "")),
        str(form.get("b", "")),
        str(form.get("decision", "")),
    )
    return RedirectResponse("/identity", status_code=303)


def set_language(view: View) -> Response:
    form = view.request.state.form
    language = str(form.get("lang", ""))
    if language not in i18n.LANGUAGES:
        raise BadInput(f"language {language[:20]!r}: one of {', '.join(i18n.LANGUAGES)}")
    view.request.session["lang"] = language
    with view.app.store.begin() as conn:
        users.set_language(conn, view.user.id, language)
    back = str(form.get("next", "/"))
    return RedirectResponse(
        back if back.startswith("/") and not back.startswith("//") else "/", status_code=303
    )


def logout(view: View) -> Response:
    view.request.session.clear()
    return RedirectResponse("/login", status_code=303)


# -- public routes --------------------------------------------------------------------------------


async def login(request: Request) -> Response:
    hub: HubApp = request.app.state.hub
    locale = hub.locale(request, None)
    target = request.query_params.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if request.method == "GET":
        return hub.render(
            request, Page("login.html", {"next": target, "error": None}), None, locale
        )
    form = await request.form()
    if not pysecrets.compare_digest(str(form.get("csrf", "")), csrf_token(request)):
        page_ = Page("login.html", {"next": target, "error": locale.t("csrf")}, 403)
        return hub.render(request, page_, None, locale)
    username = str(form.get("username", "")).strip()[:128]
    password = str(form.get("password", ""))[:1024]
    key = (request.client.host if request.client else "?", username.lower())
    if hub.limiter.blocked(key):
        page_ = Page("login.html", {"next": target, "error": locale.t("too_many")}, 429)
        return hub.render(request, page_, None, locale)

    def check() -> users.User | None:
        with hub.store.read() as conn:
            return users.authenticate(conn, username, password)

    user = await run_in_threadpool(check)
    if user is None:
        hub.limiter.failed(key)
        log.info("failed login for a user name from %s", key[0])
        page_ = Page("login.html", {"next": target, "error": locale.t("login_failed")}, 401)
        return hub.render(request, page_, None, locale)
    hub.limiter.succeeded(key)
    language = request.session.get("lang")
    request.session.clear()  # a new session at login: no fixation
    request.session.update({"uid": user.id, "csrf": pysecrets.token_urlsafe(32)})
    if language:
        request.session["lang"] = language
    return RedirectResponse(target, status_code=303)


async def health(request: Request) -> Response:
    return JSONResponse({"ok": True})


login.roles = PUBLIC  # type: ignore[attr-defined]
health.roles = PUBLIC  # type: ignore[attr-defined]


def _routes() -> list[Route | Mount]:
    return [
        Route("/", page(ALL)(home), name="home"),
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/logout", page(ALL)(logout), methods=["POST"], name="logout"),
        Route("/language", page(ALL)(set_language), methods=["POST"], name="language"),
        Route("/healthz", health, name="health"),
        Route("/overview", page(STAFF)(overview), name="overview"),
        Route("/managers/{ref}", page(ALL)(manager), name="manager"),
        Route("/managers/{ref}/whatif", page(ALL)(manager_whatif), methods=["POST"], name="whatif"),
        Route(
            "/managers/{ref}/inquiries",
            page(MANAGER)(inquiry_create),
            methods=["POST"],
            name="inquiry_create",
        ),
        Route("/findings", page(ALL)(findings), name="findings"),
        Route("/findings.csv", page(ALL)(findings_csv), name="findings_csv"),
        Route("/customers", page(ALL)(customers), name="customers"),
        Route("/inquiries", page(ALL)(inquiry_list), name="inquiries"),
        Route(
            "/inquiries/{id}/status",
            page(ADMIN)(inquiry_move),
            methods=["POST"],
            name="inquiry_move",
        ),
        Route("/sync", page(ADMIN)(sync), name="sync"),
        Route("/identity", page(ADMIN)(identity), name="identity"),
        Route(
            "/identity/decide",
            page(ADMIN)(identity_decide),
            methods=["POST"],
            name="identity_decide",
        ),
        Route("/api/overview", page(STAFF, api=True)(overview_api), name="api_overview"),
        Route("/api/managers/{ref}", page(ALL, api=True)(manager_api), name="api_manager"),
        Route("/api/findings", page(ALL, api=True)(findings_api), name="api_findings"),
        Route("/api/customers", page(ALL, api=True)(customers_api), name="api_customers"),
        Route("/api/inquiries", page(ALL, api=True)(inquiry_api), name="api_inquiries"),
        Route("/api/sync", page(ADMIN, api=True)(sync_api), name="api_sync"),
        Mount("/static", StaticFiles(packages=[("hub.web", "static")]), name="static"),
    ]


ROUTES = _routes()


def create_app(config: HubConfig, store: Store | None = None) -> Starlette:
    """The dashboard over the config's store (upgraded to the current schema)."""
    store = store or Store(config.store_url())
    store.upgrade()
    key = config.web.secret_key.get_secret_value() if config.web.secret_key else None
    if key:
        secrets.register([key])
    else:
        key = pysecrets.token_urlsafe(32)
        log.warning("[web] secret_key is not set: sessions end when hub serve restarts")
    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=key,
                session_cookie="hub_session",
                max_age=config.web.session_hours * 3600,
                same_site="lax",
                https_only=config.web.https_only,
            ),
            Middleware(_SecurityHeaders),
        ],
    )
    app.state.hub = HubApp(config, store)
    return app


class _SecurityHeaders:
    """No framing, no sniffing, scripts only from this server."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers += [
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (
                        b"content-security-policy",
                        b"default-src 'self'; img-src 'self' data:; style-src 'self' "
                        b"'unsafe-inline'; frame-ancestors 'none'",
                    ),
                ]
            await send(message)

        await self.app(scope, receive, sending)
