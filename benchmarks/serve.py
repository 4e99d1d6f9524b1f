"""入力チェック of one form through the warm server against the cold process of today's ribbon.

Cold: a fresh `python` per check, as the desktop ribbon's RunPython starts one (the "check one
form as the ribbon does" row of `benchmarks/check_one.py`). Warm: `miedx-xl serve` started
once in its own process on 127.0.0.1, then the same form checked through
- the server add-in's endpoint (`POST /xlwings/check`, the JSON RunServerPython posts), and
- the browser page's upload (`POST /api/check`, the .xlsx file),
by 1 client, then by 20 concurrent clients (threads, one HTTP connection each). Prints a
Markdown table: median and 95th percentile of each request's wall time.

    python benchmarks/serve.py [--cold-runs 9] [--requests 100]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from check_one import ENTRY_CHECK, make_form  # noqa: E402

from tests.test_server import PASSWORD, free_port, vba_json, vba_payload  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DIVISION = "スマート改革推進課"
SERVER = """
import sys
from pathlib import Path
from miedx_xl.server import serve
from miedx_xl.server.config import init_config
init_config(Path(sys.argv[1]), "R4", password=sys.argv[3])
sys.exit(serve(Path(sys.argv[1]), "127.0.0.1", int(sys.argv[2])))
"""


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def cold(form: Path, runs: int) -> list[float]:
    """Wall time of `runs` fresh interpreters each checking the form."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", ENTRY_CHECK, str(form)], check=True)
        times.append(time.perf_counter() - start)
    return times


def start_server(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`serve` in a process of its own; its URL once /healthz answers (20 s at most)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(root), str(port), PASSWORD],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the server did not start")


def timed(
    clients: int, requests: int, send: Callable[[httpx.Client], httpx.Response], url: str, key: str
) -> list[float]:
    """Each request's wall time, `requests` in all spread over `clients` threads."""

    def run(n: int) -> list[float]:
        times = []
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as client:
            for _ in range(n):
                start = time.perf_counter()
                response = send(client)
                times.append(time.perf_counter() - start)
                response.raise_for_status()
        return times

    share = [requests // clients + (i < requests % clients) for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        return [t for part in pool.map(run, share) for t in part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-runs", type=int, default=9)
    parser.add_argument("--requests", type=int, default=100, help="requests per row")
    args = parser.parse_args()
    compileall.compile_dir(str(HERE.parent / "miedx_xl"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="miedx-serve-bench-") as tmp:
        form = make_form(Path(tmp))
        body = vba_json(vba_payload(form)).encode("ascii")
        data = form.read_bytes()
        size = len(data)
        rows: list[tuple[str, int, list[float]]] = []
        rows.append(("cold `python` process (today's ribbon)", 1, cold(form, args.cold_runs)))
        proc, url = start_server(Path(tmp) / "root")
        try:
            from miedx_xl.server.config import load_config

            config = load_config(Path(tmp) / "root")
            assert config is not None
            key = config.division_key(DIVISION)

            def ribbon(client: httpx.Client) -> httpx.Response:
                return client.post(
                    "/xlwings/check", content=body, headers={"Content-Type": "application/json"}
                )

            def upload(client: httpx.Client) -> httpx.Response:
                return client.post("/api/check", files={"file": ("form.xlsx", data, XLSX)})

            timed(1, 5, ribbon, url, key)  # warm-up: first validation, caches
            timed(1, 5, upload, url, key)
            for label, send in (
                ("warm server, ribbon JSON (`/xlwings/check`)", ribbon),
                ("warm server, page upload (`/api/check`)", upload),
            ):
                for clients in (1, 20):
                    rows.append((label, clients, timed(clients, args.requests, send, url, key)))
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    load = os.getloadavg()[0]
    print(
        f"One form ({size:,} bytes, payload {len(body):,} bytes); "
        f"{os.cpu_count()} CPUs; load average {load:.2f}\n"
    )
    print("| path | clients | requests | median (s) | p95 (s) |")
    print("|---|---:|---:|---:|---:|")
    for label, clients, times in rows:
        print(
            f"| {label} | {clients} | {len(times)} | {statistics.median(times):.3f} | "
            f"{percentile(times, 0.95):.3f} |"
        )


if __name__ == "__main__":
    main()
