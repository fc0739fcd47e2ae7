"""The real server under load: gunicorn (srp.wsgi, srp.settings.bench: the psycopg pool on, DEBUG
off, 2 workers) on a free port against the bench database, and wrk with 8 connections asking, with
the session cookie of a signed-in bench user, for the dashboard, the case page with random case ids
of the user's scope, and the bench URLconf's bare "hello" view, in the same run."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.urls import reverse

WORKERS = 2
WRK_ARGS = ["-t2", "-c8", "-d10s"]
LUA = Path(settings.BASE_DIR) / "bench" / "wrk.lua"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - our own server on 127.0.0.1
                if answer.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def _status(url: str, cookie: str) -> int:
    """The status of GET url with the cookie, redirects not followed (a 302 to sign-in is a failure)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - our own server
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _parse(output: str) -> dict:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    latency = re.search(r"Latency\s+([\d.]+\w+)", output)
    total = re.search(r"(\d+) requests in", output)
    if rate is None:
        raise RuntimeError("wrk printed no Requests/sec.")
    return {
        "requests_per_second": float(rate.group(1)),
        "requests": int(total.group(1)) if total else None,
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "",
        "mean_latency": latency.group(1) if latency else "",
    }


def run(*, users: dict, out=print, user_key: str = "coordinator") -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        out("wrk is not installed (apt-get install wrk): the real-server stage is skipped.")
        return {"skipped": "wrk not installed"}
    from cases.benchmark.measure import prepare_users, sign_in
    from cases.selectors import cases_visible_to

    user = users[user_key]
    prepare_users({user_key: user})
    client = sign_in(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    ids = list(cases_visible_to(user).order_by().values_list("pk", flat=True)[:2000])
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "srp.settings.bench",
        "BENCH_DB_NAME": settings.DATABASES["default"]["NAME"],
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with tempfile.TemporaryDirectory(prefix="srp-bench-") as folder:
        ids_file = Path(folder) / "ids.txt"
        ids_file.write_text("\n".join(str(i) for i in ids) + "\n")
        log = open(Path(folder) / "gunicorn.log", "w")  # noqa: SIM115 - closed below
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [str(gunicorn), "srp.wsgi", "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_for(f"{base}/bench-hello/")
            paths = {
                "hello": ("/bench-hello/", ""),
                "dashboard": (reverse("dashboard"), cookie),
                "case page": (reverse("case_detail", args=[999999999]).replace("999999999", "{id}"), cookie),
            }
            for name, (path, with_cookie) in paths.items():
                probe = path.replace("{id}", str(ids[0]))
                status = _status(base + probe, with_cookie)
                if status != 200:
                    raise RuntimeError(f"{name}: gunicorn answered {status} before the run (not signed in?).")
            runs = {}
            out(f"Real server: gunicorn with {WORKERS} workers on port {port}, wrk {' '.join(WRK_ARGS)}:")
            for name, (path, with_cookie) in paths.items():
                done = subprocess.run(  # noqa: S603 - wrk with fixed arguments
                    [wrk, *WRK_ARGS, "-s", str(LUA), base, "--", path, with_cookie, str(ids_file)],
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=True,
                )
                runs[name] = _parse(done.stdout)
            hello = runs["hello"]["requests_per_second"]
            for name, row in runs.items():
                row["ratio_to_hello"] = round(row["requests_per_second"] / hello, 4) if hello else 0.0
                out(
                    f"  {name:<12} {row['requests_per_second']:9.1f} req/s  {row['ratio_to_hello'] * 100:5.1f} % of "
                    f"hello  non-2xx {row['errors']}"
                )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            log.close()
    return {
        "workers": WORKERS,
        "wrk_args": " ".join(WRK_ARGS),
        "user": user_key,
        "settings": "srp.settings.bench",
        "pool": settings.DATABASES["default"].get("OPTIONS", {}).get("pool"),
        "runs": runs,
    }
