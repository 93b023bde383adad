"""Event photo throughput on both storage backends, and the API's peak memory under concurrent uploads.

Starts the real API (`uvicorn`, one worker) on a loopback port with a fresh state directory, once with
the `local` backend and once with `s3` against an S3-compatible server (`moto_server`, its own process, on
127.0.0.1). For 1 MB and 10 MB PNGs (incompressible pixels: the worst case for the decode and re-encode),
it uploads and downloads each size several times and prints MB/s. Before that, it reads the server's peak
resident memory (VmHWM, reset before each phase) over one 10 MB upload and over --concurrent 10 MB uploads at once:
the upload streams to a temporary file and at most two images are decoded at a time, so the rise for
many at once should stay near the rise for one (the decode), not grow with `concurrent × file size`.

    .venv/bin/python bench/photos_bench.py [--rounds 4] [--concurrent 8]
"""

from __future__ import annotations

import argparse
import io
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import httpx
from PIL import Image

MB = 1024 * 1024
SIDES = {"1 MB": 590, "10 MB": 1800}  # noisy RGB PNG of side² × 3 bytes
sys.path.insert(0, str(Path(__file__).parent))
from served import free_port, start_api, stop  # noqa: E402


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 240  # the API imports Dagster (in-process launcher): slow on a loaded machine
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited") from None
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def noisy_png(side: int, seed: int) -> bytes:
    rng = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()




def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of the process, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def reset_peak(pid: int) -> None:
    """Start VmHWM afresh at the current RSS (Linux: `5` to clear_refs), so a phase's peak is its own and not
    the import-time peak of starting the API."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def setup_event(client: httpx.Client) -> str:
    client.post("/api/v1/auth/register", json={"email": "bench@example.com", "password": "bench-password"})
    client.post("/api/v1/auth/login", json={"email": "bench@example.com", "password": "bench-password"})
    client.post("/api/v1/projects", json={"name": "Bench", "slug": "bench"}).raise_for_status()
    event_type = client.post("/api/v1/projects/bench/event-types",
                             json={"name": "screen", "display_name": "Screen", "field_definitions": []})
    event_type.raise_for_status()
    event = client.post("/api/v1/projects/bench/events", json={"event_type_id": event_type.json()["id"],
                                                               "name": "viewed"})
    event.raise_for_status()
    return f"/api/v1/projects/bench/events/{event.json()['id']}/photos"


def upload(client: httpx.Client, photos: str, content: bytes) -> dict[str, Any]:
    response = client.post(photos, files={"file": ("bench.png", content, "image/png")}, timeout=300)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def measure(backend: str, extra_env: dict[str, str], files: dict[str, list[bytes]], concurrent: int) -> list[str]:
    rows = []
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as state:
        server = start_api({"TRIPL_STATE_DIR": state, "TRIPL_REGISTER_RATE_LIMIT": "100/minute",
                            "TRIPL_LOGIN_RATE_LIMIT": "100/minute", "TRIPL_DATABASE_URL": None, **extra_env}, port)
        try:
            with httpx.Client(base_url=base, timeout=300) as client:
                photos = setup_event(client)
                upload(client, photos, files["1 MB"][0])  # warm up imports and the storage client
                big = files["10 MB"][0]
                reset_peak(server.pid)
                idle_peak, _ = peak_rss_mb(server.pid)
                upload(client, photos, big)
                _, single_peak = peak_rss_mb(server.pid)
                reset_peak(server.pid)
                cookies = dict(client.cookies)

                def one(_: int) -> None:
                    with httpx.Client(base_url=base, cookies=cookies, timeout=300) as own:
                        upload(own, photos, big)

                began = time.perf_counter()
                with ThreadPoolExecutor(concurrent) as pool:
                    list(pool.map(one, range(concurrent)))
                elapsed = time.perf_counter() - began
                _, concurrent_peak = peak_rss_mb(server.pid)
                memory = (f"| {backend} | {concurrent} × {len(big) / MB:.1f} MB | {elapsed:.1f} s | "
                          f"{idle_peak:.0f} MB | "
                          f"+{single_peak - idle_peak:.0f} MB | +{concurrent_peak - idle_peak:.0f} MB | "
                          f"{concurrent * len(big) / MB:.0f} MB |")

                for label, contents in files.items():
                    size = sum(len(c) for c in contents)
                    began = time.perf_counter()
                    stored = [upload(client, photos, c) for c in contents]
                    up = size / MB / (time.perf_counter() - began)
                    began = time.perf_counter()
                    fetched = sum(len(client.get(f"{photos}/{p['id']}/file").content) for p in stored)
                    down = fetched / MB / (time.perf_counter() - began)
                    direct = ""
                    if backend == "s3":
                        began = time.perf_counter()
                        got = sum(len(httpx.get(p["url"], timeout=300).content) for p in stored)
                        direct = f"{got / MB / (time.perf_counter() - began):.1f}"
                    rows.append(f"| {backend} | {label} | {len(contents)} | {up:.1f} | {down:.1f} | {direct or '—'} |")
                rows.append(memory)
        finally:
            stop(server)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4, help="uploads and downloads per size")
    parser.add_argument("--concurrent", type=int, default=8)
    args = parser.parse_args()

    files = {label: [noisy_png(side, seed) for seed in range(args.rounds)] for label, side in SIDES.items()}
    print("sizes:", {label: f"{len(c[0]) / MB:.2f} MB" for label, c in files.items()})

    s3_port = free_port()
    moto = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{s3_port}"
        wait_for(endpoint + "/moto-api/", moto)
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
                     aws_secret_access_key="bench").create_bucket(Bucket="photos")
        s3_env = {"TRIPL_STORAGE_BACKEND": "s3", "TRIPL_S3_ENDPOINT_URL": endpoint, "TRIPL_S3_BUCKET": "photos",
                  "TRIPL_S3_ACCESS_KEY_ID": "bench", "TRIPL_S3_SECRET_ACCESS_KEY": "bench"}
        rows = measure("local", {"TRIPL_STORAGE_BACKEND": "local"}, files, args.concurrent)
        rows += measure("s3", s3_env, files, args.concurrent)
    finally:
        moto.terminate()
        moto.wait(timeout=15)
    print("| backend | size | files | upload MB/s | download via API MB/s | presigned direct MB/s |")
    print("|---|---|---:|---:|---:|---:|")
    for row in rows:
        if " × " not in row:
            print(row)
    print()
    print("| backend | concurrent uploads | wall time | idle RSS | peak rise: one upload | peak rise: all at once | "
          "the files themselves |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        if " × " in row:
            print(row)


if __name__ == "__main__":
    main()
