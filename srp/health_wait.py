"""`python -m srp.health_wait URL [SECONDS]`: poll /health/ until every part is ok (or the time is
up) and print each part's state, e.g. for `make run`:

    Health (http://127.0.0.1:8000/health/): database ok, broker ok, worker ok, beat ok

Exits 0 when all are ok, 1 otherwise. Uses only the standard library (no Django set-up)."""

import json
import sys
import time
import urllib.error
import urllib.request


def read(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - a URL we were given
            return json.load(response)
    except urllib.error.HTTPError as error:  # 503: some part failed, the body still says which
        try:
            return json.load(error)
        except ValueError:
            return None
    except (OSError, ValueError):
        return None


def main(argv: list[str]) -> int:
    url = argv[1]
    deadline = time.monotonic() + (float(argv[2]) if len(argv) > 2 else 60)
    states = None
    while True:
        states = read(url) or states
        if (states and states.get("status") == "ok") or time.monotonic() >= deadline:
            break
        time.sleep(2)
    if not states:
        print(f"Health ({url}): no answer yet; see var/log/celery.log", flush=True)
        return 1
    parts = ", ".join(f"{part} {state}" for part, state in states.items() if part != "status")
    print(f"Health ({url}): {parts}", flush=True)
    if states.get("status") != "ok":
        print("  Some part is not running yet: see var/log/celery.log (worker and beat).", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except KeyboardInterrupt:  # Ctrl-C in `make run`: its trap stops everything
        sys.exit(130)
