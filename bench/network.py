"""Network benchmark: cold Fabric build, cached reuse, `network up` (native, docker), idle RSS.

    python -m bench network [--skip-cold] [--skip-docker] [--runs N]

Targets (2 cores): cold install < 5 min; native up < 15 s; docker up < 30 s (images built);
idle default network < 1 GiB RSS in total. With --runs N each runtime's network is also brought up
from nothing N more times (each in a new directory), and the fastest, median and slowest of them are
shown: one bring-up hides how much `up` varies from run to run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from tradefin.network.fabric import ensure_fabric
from tradefin.network.network import FabricNetwork
from tradefin.network.progress import SilentProgress

from .table import print_table

PORT_BASE = 31000


def cold_install() -> tuple[float, str]:
    """Build Fabric with empty Go caches (modules downloaded again, everything compiled)."""
    scratch = Path(tempfile.mkdtemp(prefix="tradefin-cold-"))
    saved = {k: os.environ.get(k) for k in ("TRADEFIN_CACHE_DIR", "GOCACHE", "GOMODCACHE")}
    os.environ.update({"TRADEFIN_CACHE_DIR": str(scratch / "cache"), "GOCACHE": str(scratch / "gocache"),
                       "GOMODCACHE": str(scratch / "gomod")})
    try:
        started = time.monotonic()
        installation = ensure_fabric()
        return time.monotonic() - started, installation.version
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(scratch, ignore_errors=True)


def cached_install() -> float:
    ensure_fabric()
    started = time.monotonic()
    ensure_fabric()
    return time.monotonic() - started


def bring_up(runtime: str) -> tuple[float, float, int, FabricNetwork]:
    """Seconds from nothing to chaincode committed on both channels and a first VALID transaction."""
    workdir = Path(tempfile.mkdtemp(prefix=f"tradefin-bench-{runtime}-"))
    network = FabricNetwork.create(workdir, runtime=runtime, port_base=PORT_BASE, progress=SilentProgress())
    if runtime == "docker":
        network.runtime.prepare()  # engine and images ready: the target excludes image builds
    started = time.monotonic()
    network.up()
    elapsed = time.monotonic() - started
    network.down()
    started = time.monotonic()
    network.up()
    restart = time.monotonic() - started
    time.sleep(10)  # let the network go idle before measuring memory
    rss = sum(u.memory_bytes or 0 for u in network.status().units)
    return elapsed, restart, rss, network


def fresh_bring_ups(runtime: str, runs: int) -> list[float]:
    """Seconds of ``runs`` bring-ups from nothing, each network purged before the next."""
    seconds = []
    for _ in range(runs):
        workdir = Path(tempfile.mkdtemp(prefix=f"tradefin-bench-{runtime}-"))
        network = FabricNetwork.create(workdir, runtime=runtime, port_base=PORT_BASE, progress=SilentProgress())
        started = time.monotonic()
        try:
            network.up()
            seconds.append(time.monotonic() - started)
        finally:
            network.down(purge=True)
            shutil.rmtree(workdir, ignore_errors=True)
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench network")
    parser.add_argument("--skip-cold", action="store_true", help="do not time a cold Fabric build")
    parser.add_argument("--skip-docker", action="store_true", help="do not time the docker runtime")
    parser.add_argument("--runs", type=int, default=0, metavar="N",
                        help="also bring each runtime's network up from nothing N more times")
    args = parser.parse_args(argv)
    if args.runs < 0:
        parser.error("--runs: give 0 or more")
    rows: list[list[object]] = []
    if not args.skip_cold:
        seconds, version = cold_install()
        rows.append([f"fabric install, cold (Fabric {version}, empty Go caches)", f"{seconds:.1f} s", "< 300 s"])
    rows.append(["fabric install, cached (second run)", f"{cached_install():.3f} s", "< 1 s"])
    each_run: dict[str, list[float]] = {}
    for runtime in ("native", "docker") if not args.skip_docker else ("native",):
        up, restart, rss, network = bring_up(runtime)
        target = "< 15 s" if runtime == "native" else "< 30 s"
        rows.append([f"network up ({runtime}): nothing -> chaincode on 2 channels + first VALID tx",
                     f"{up:.1f} s", target])
        rows.append([f"network up again ({runtime}) after down, data kept", f"{restart:.1f} s", "-"])
        rows.append([f"idle default network RSS, all nodes ({runtime})", f"{rss / 2**20:.0f} MiB", "< 1024 MiB"])
        for unit in network.status().units:
            rows.append([f"  {unit.name}", f"{(unit.memory_bytes or 0) / 2**20:.0f} MiB", ""])
        network.down(purge=True)
        if args.runs:
            ups = each_run[runtime] = sorted(fresh_bring_ups(runtime, args.runs))
            rows.append([f"network up ({runtime}), {len(ups)} more from nothing: fastest / median / slowest",
                         f"{ups[0]:.1f} / {statistics.median(ups):.1f} / {ups[-1]:.1f} s", target])
    print_table("network benchmark (2 cores)", ["measure", "value", "target"], rows)
    for runtime, ups in each_run.items():
        print(f"network up ({runtime}), each of the {len(ups)} more, in order of speed: "
              + " ".join(f"{up:.1f}" for up in ups) + " s")
    return 0
