"""Benchmark: channels_redis's two layers, RedisChannelLayer (core) and RedisPubSubChannelLayer (pubsub).

Run from the project root:

    .venv/bin/python benchmarks/bench_layers.py [--members 41] [--processes 2] [--paced 200]
        [--interval-ms 10] [--burst 1000] [--layers core,pubsub] [--redis-url redis://...]

Without --redis-url it starts a redis-server of its own on a free loopback port
(nothing on disk) and empties it between layers; with --redis-url it uses that
server as it is (a fresh group name per layer, nothing is deleted).

What it does, per layer, with the connection options of config/settings.py's
CHANNEL_LAYERS: `--members` channels (default 41: a class of 40 and its
proctor) join one group, spread over `--processes` receiver processes (as the
sockets of a class spread over daphne processes), each channel with its own
receive loop, like a consumer's. This process then group_sends:

- paced: `--paced` messages, one every `--interval-ms`: the latency from
  group_send to each member's receive (what a proctor's command or a signal
  waits for on an unloaded server);
- burst: `--burst` messages back to back, each group_send awaited (what one
  busy consumer can push): group_sends a second, deliveries a second, the time
  until the last member got the last message, and how many deliveries were
  lost (the core layer drops messages to a channel holding `capacity`, 100).

It also prints Redis' CPU time and commands for each layer (INFO, deltas).
Latencies are from time.monotonic(), which all processes of one machine share.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from harness import PROJECT_DIR, machine

LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
QUIET = 1.0  # seconds without a message, after the sender is done, before a receiver reports


def layer_config(redis_url: str) -> dict:
    """CONFIG of the project's Redis channel layer, as config/settings.py builds it for this REDIS_URL."""
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DEBUG", "true")
    sys.path.insert(0, str(PROJECT_DIR))
    from config import settings

    return settings.CHANNEL_LAYERS["default"]["CONFIG"]


def make_layer(kind: str, redis_url: str):
    from django.utils.module_loading import import_string

    return import_string(LAYERS[kind])(**layer_config(redis_url))


# --- Receiver processes -------------------------------------------------------------------------------


def receiver(kind: str, redis_url: str, group: str, count: int, ready, done, results) -> None:
    asyncio.run(receive_all(kind, redis_url, group, count, ready, done, results))


async def receive_all(kind, redis_url, group, count, ready, done, results) -> None:
    layer = make_layer(kind, redis_url)
    latencies: dict[str, list[float]] = {"paced": [], "burst": []}
    last_burst = 0.0
    last_any = time.monotonic()

    async def loop(channel: str) -> None:
        nonlocal last_burst, last_any
        while True:
            message = await layer.receive(channel)
            now = time.monotonic()
            last_any = now
            latencies[message["phase"]].append(now - message["sent"])
            if message["phase"] == "burst":
                last_burst = max(last_burst, now)

    channels = [await layer.new_channel() for _ in range(count)]
    for channel in channels:
        await layer.group_add(group, channel)
    tasks = [asyncio.create_task(loop(channel)) for channel in channels]
    await asyncio.sleep(0.2)  # the receive loops are waiting (pubsub: subscribed) before the sender starts
    ready.release()
    while not (done.is_set() and time.monotonic() - last_any > QUIET):
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    results.put({"latencies": latencies, "last_burst": last_burst})


# --- The sender (this process) ------------------------------------------------------------------------


async def send_all(kind: str, redis_url: str, group: str, paced: int, interval: float, burst: int) -> dict:
    layer = make_layer(kind, redis_url)
    for number in range(paced):
        await layer.group_send(group, {"type": "bench", "phase": "paced", "n": number, "sent": time.monotonic()})
        await asyncio.sleep(interval)
    await asyncio.sleep(0.5)  # the paced phase is delivered before the burst starts
    started = time.monotonic()
    for number in range(burst):
        await layer.group_send(group, {"type": "bench", "phase": "burst", "n": number, "sent": time.monotonic()})
    sent = time.monotonic()
    if kind == "pubsub":
        await layer.flush()  # unsubscribes and closes its connections
    else:
        await layer.close_pools()
    return {"burst_started": started, "burst_sent": sent}


def redis_counters(redis_url: str) -> tuple[float, int]:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        cpu, stats = client.info("cpu"), client.info("stats")
        return cpu["used_cpu_sys"] + cpu["used_cpu_user"], stats["total_commands_processed"]
    finally:
        client.close()


def measure(kind: str, redis_url: str, args) -> dict:
    group = f"bench.{kind}.{uuid.uuid4().hex[:8]}"
    context = multiprocessing.get_context("spawn")
    ready, done, results = context.Semaphore(0), context.Event(), context.Queue()
    shares = [args.members // args.processes + (i < args.members % args.processes) for i in range(args.processes)]
    processes = [
        context.Process(target=receiver, args=(kind, redis_url, group, share, ready, done, results))
        for share in shares
        if share
    ]
    for process in processes:
        process.start()
    for _ in processes:
        if not ready.acquire(timeout=60):
            raise SystemExit("a receiver process did not get ready in 60 s")
    cpu_before, commands_before = redis_counters(redis_url)
    timing = asyncio.run(send_all(kind, redis_url, group, args.paced, args.interval_ms / 1000, args.burst))
    done.set()
    reports = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    cpu_after, commands_after = redis_counters(redis_url)
    paced = [latency for report in reports for latency in report["latencies"]["paced"]]
    burst = [latency for report in reports for latency in report["latencies"]["burst"]]
    last = max((report["last_burst"] for report in reports), default=timing["burst_started"])
    return {
        "paced": paced,
        "burst": burst,
        "burst_send_seconds": timing["burst_sent"] - timing["burst_started"],
        "burst_done_seconds": last - timing["burst_started"],
        "redis_cpu": cpu_after - cpu_before,
        "redis_commands": commands_after - commands_before,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def report(kind: str, figures: dict, args) -> None:
    expected_paced, expected_burst = args.paced * args.members, args.burst * args.members
    paced, burst = figures["paced"], figures["burst"]
    print(f"\n{kind}: {LAYERS[kind]}")
    if paced:
        print(
            f"  paced, {args.paced} group_sends every {args.interval_ms} ms: latency to each member "
            f"p50 {statistics.median(paced) * 1000:.2f} ms, p95 {percentile(paced, 0.95) * 1000:.2f} ms, "
            f"p99 {percentile(paced, 0.99) * 1000:.2f} ms, max {max(paced) * 1000:.2f} ms; "
            f"delivered {len(paced)}/{expected_paced}"
        )
    if args.burst:
        send, done = figures["burst_send_seconds"], figures["burst_done_seconds"]
        print(
            f"  burst, {args.burst} group_sends back to back: {args.burst / send:.0f} group_sends/s "
            f"({send * 1000 / args.burst:.2f} ms each), all delivered after {done:.2f} s "
            f"({len(burst) / done if done > 0 else float('nan'):.0f} deliveries/s); "
            f"delivered {len(burst)}/{expected_burst} ({expected_burst - len(burst)} lost); "
            f"latency p50 {statistics.median(burst) * 1000 if burst else float('nan'):.1f} ms, "
            f"max {max(burst, default=float('nan')) * 1000:.1f} ms"
        )
    print(f"  Redis: {figures['redis_cpu']:.2f} s CPU, {figures['redis_commands']} commands")


# --- A Redis of our own -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(directory: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("no redis-server on PATH: install it, or pass --redis-url")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
            "--logfile",
            str(directory / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            redis_counters(url)
            return process, url
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.05)
    process.terminate()
    raise SystemExit("redis-server did not come up in 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=41, help="channels in the group (default 41)")
    parser.add_argument("--processes", type=int, default=2, help="receiver processes (default 2)")
    parser.add_argument("--paced", type=int, default=200, help="paced group_sends (default 200)")
    parser.add_argument("--interval-ms", type=float, default=10, help="between paced group_sends (default 10)")
    parser.add_argument("--burst", type=int, default=1000, help="group_sends back to back (default 1000)")
    parser.add_argument("--layers", default="core,pubsub", help="comma-separated: core, pubsub")
    parser.add_argument("--redis-url", help="use this Redis instead of starting one (nothing is deleted)")
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.layers.split(",") if kind.strip()]
    unknown = set(kinds) - set(LAYERS)
    if unknown:
        parser.error(f"unknown layers: {', '.join(sorted(unknown))}")

    import channels_redis
    import redis

    print(machine())
    print(f"redis-py {redis.__version__}, channels_redis {channels_redis.__version__}")
    print(
        f"{args.members} members over {args.processes} receiver processes; "
        f"{args.paced} paced group_sends, {args.burst} in a burst"
    )
    with tempfile.TemporaryDirectory(prefix="kantoku-bench-") as directory:
        server, url = (None, args.redis_url) if args.redis_url else start_redis(Path(directory))
        try:
            for kind in kinds:
                if server is not None:
                    redis.Redis.from_url(url).flushall()
                report(kind, measure(kind, url, args), args)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)


if __name__ == "__main__":
    main()
