"""The FastAPI app of the Locust guide that loadgate grew out of.

It serves the guide's locustfiles as the guide intends, with the guide's own
bug kept on purpose: GET /items/{item_id} calls the blocking time.sleep(0.05)
inside an `async def`, which stalls the whole event loop, so every other
request waits too. loadgate's end-to-end tests show that /hello's p95 rises
when even item ids are requested beside it. Set ITEMS_SLEEP=async to use
`await asyncio.sleep(0.05)` instead and watch the effect disappear.

Switches for measuring the app's own cost (loadgate's app_* metrics):
APP_WORK=N hashes a 1 KiB buffer N times in every request (CPU work per
request, a "head build" that costs more); APP_LEAK_KB=N keeps N KiB per
request forever (a leak). GET /metrics serves the standard process metrics
of a Prometheus client library (prometheus_client when installed).
"""
import asyncio
import hashlib
import itertools
import os
import secrets
import threading
import time

from urllib.parse import parse_qs

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

app = FastAPI()

SLEEP_MODE = os.environ.get("ITEMS_SLEEP", "blocking")
# ITEMS_DELAY_MS lengthens (or shortens) the even items' delay: a regression
# to catch in A/A and A/B experiments (bench/aa.sh).
ITEMS_DELAY = float(os.environ.get("ITEMS_DELAY_MS", "50")) / 1000
USERNAME = os.environ.get("APP_USERNAME", "testuser")
PASSWORD = os.environ.get("APP_PASSWORD", "password")

_items = {}
_tokens = set()
_lock = threading.Lock()
_ids = itertools.count(1001)
_user_ids = itertools.count(1)

WORK = int(os.environ.get("APP_WORK", "0"))
LEAK = int(os.environ.get("APP_LEAK_KB", "0")) * 1024
_kept = []
_buf = b"x" * 1024


@app.middleware("http")
async def cost(request: Request, call_next):
    """The switches' work: the same for every request, /metrics aside."""
    if request.url.path != "/metrics":
        h = _buf
        for _ in range(WORK):
            h = hashlib.sha256(h).digest() * 32
        if LEAK:
            _kept.append(os.urandom(LEAK))  # random: no page is shared or zero
    return await call_next(request)


try:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
except ImportError:  # the same two metrics, as prometheus_client computes them
    CONTENT_TYPE_LATEST = "text/plain; version=0.0.4; charset=utf-8"

    def generate_latest():
        t = os.times()
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        return (f"process_cpu_seconds_total {t.user + t.system}\n"
                f"process_resident_memory_bytes {rss}\n").encode()


@app.get("/metrics")
async def metrics():
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class Item(BaseModel):
    name: str
    price: float


class Login(BaseModel):
    username: str
    password: str


class NewUser(BaseModel):
    username: str
    email: str
    password: str


@app.get("/hello")
async def read_root():
    """A simple endpoint that returns a greeting."""
    return {"message": "Hello, World!"}


@app.get("/items/{item_id}")
async def read_item(item_id: int):
    """The guide's endpoint: a 50 ms delay on even ids, 404 above 1000."""
    if item_id % 2 == 0:
        if SLEEP_MODE == "async":
            await asyncio.sleep(ITEMS_DELAY)
        else:
            time.sleep(ITEMS_DELAY)  # the guide's blocking call inside async def
    with _lock:
        stored = _items.get(item_id)
    if stored is not None:
        return {"item_id": item_id, **stored}
    if item_id > 1000:
        raise HTTPException(status_code=404, detail="Item not found")
    return {"item_id": item_id, "name": f"Item {item_id}"}


@app.post("/create_item")
async def create_item(item: Item):
    """Creates an item from a JSON body; GET /items/{id} finds it afterwards."""
    item_id = next(_ids)
    with _lock:
        _items[item_id] = {"name": item.name, "price": item.price}
        if len(_items) > 100_000:  # bounded, so long runs do not grow without limit
            _items.pop(next(iter(_items)))
    return {"message": "Item created", "item_id": item_id, "name": item.name, "price": item.price}


@app.post("/login")
async def login(body: Login):
    if body.username != USERNAME or body.password != PASSWORD:
        raise HTTPException(status_code=401, detail="Incorrect username or password")
    token = secrets.token_urlsafe(24)
    with _lock:
        _tokens.add(token)
    return {"access_token": token, "token_type": "bearer"}


@app.get("/protected_data")
async def protected_data(authorization: str = Header(default="")):
    scheme, _, token = authorization.partition(" ")
    with _lock:
        ok = scheme.lower() == "bearer" and token in _tokens
    if not ok:
        raise HTTPException(status_code=401, detail="Not authenticated",
                            headers={"WWW-Authenticate": "Bearer"})
    return {"data": "secret stuff"}


@app.post("/users", status_code=201)
async def create_user(user: NewUser):
    errors = []
    if not 3 <= len(user.username) <= 50:
        errors.append({"loc": ["body", "username"], "msg": "username must be 3 to 50 characters"})
    local, _, domain = user.email.partition("@")
    if not local or "." not in domain.strip("."):
        errors.append({"loc": ["body", "email"], "msg": "not a valid email address"})
    if len(user.password) < 8:
        errors.append({"loc": ["body", "password"], "msg": "password must be at least 8 characters"})
    if errors:
        raise HTTPException(status_code=422, detail=errors)
    return {"id": next(_user_ids), "username": user.username, "email": user.email}


# A Django-style session, as a browser and Locust's HttpUser use one: a form
# login answered by a 303 that sets a session cookie and a CSRF cookie;
# pages that need the session; writes that also need the CSRF token echoed
# in an X-CSRFToken header; a logout that expires the session. A wrong
# password is answered, as Django does, by a redirect back to the form.
_sessions = {}


def _session(request: Request):
    sid = request.cookies.get("sessionid", "")
    with _lock:
        return _sessions.get(sid)


@app.post("/accounts/login")
async def session_login(request: Request):
    form = parse_qs((await request.body()).decode())
    if form.get("username", [""])[0] != USERNAME or form.get("password", [""])[0] != PASSWORD:
        return RedirectResponse("/accounts/login?error=1", status_code=303)
    sid, csrf = secrets.token_hex(16), secrets.token_hex(16)
    with _lock:
        _sessions[sid] = csrf
        if len(_sessions) > 100_000:
            _sessions.pop(next(iter(_sessions)))
    resp = RedirectResponse("/accounts/home", status_code=303)
    resp.set_cookie("sessionid", sid, httponly=True, path="/")
    resp.set_cookie("csrftoken", csrf, path="/")
    return resp


@app.get("/accounts/login")
async def session_form(error: int = 0):
    msg = "Please enter a correct username and password." if error else ""
    return HTMLResponse(f"<form method=post>{msg}<input name=username><input name=password></form>")


@app.get("/accounts/home")
async def session_home(request: Request):
    if _session(request) is None:
        return RedirectResponse("/accounts/login", status_code=302)
    return HTMLResponse("<h1>Welcome back</h1>")


@app.post("/accounts/notes", status_code=201)
async def session_note(request: Request):
    csrf = _session(request)
    if csrf is None or request.headers.get("x-csrftoken") != csrf or request.cookies.get("csrftoken") != csrf:
        return Response("CSRF verification failed", status_code=403)
    return {"saved": True}


@app.get("/accounts/logout")
async def session_logout(request: Request):
    with _lock:
        _sessions.pop(request.cookies.get("sessionid", ""), None)
    resp = RedirectResponse("/accounts/login", status_code=302)
    resp.delete_cookie("sessionid", path="/")
    return resp
