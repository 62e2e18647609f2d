"""Benchmark: the live websocket path under load, against real servers on 127.0.0.1.

Run from the project root:

    make bench-live             # = .venv/bin/python benchmarks/bench_live.py
    .venv/bin/python benchmarks/bench_live.py [--classes 1 4 25] [--duration 45] [--signal-rate 0.5]
        [--save-every 20] [--relay-only | --no-relay] [--postgres] [--redis] [--processes 1|2]
        [--hold 5000] [--project-dir DIR] [--json FILE] [--keep]

The default (what `make bench-live` runs) measures the embedded setup of
`make run` and a bare relay at 1, 4 and 25 classes of 40, one after the other,
each on a fresh server, with a 45 s load window: about 9-10 minutes in all on
two cores, every wait bounded (a server that collapses makes it no longer).

For each size and setup:

1. Setup (a subprocess, before the server starts): a fresh temporary SQLite
   file, migrated (never db.sqlite3), or with --postgres a throwaway database
   `kantoku_live_<pid>_<n>` on the `scripts/pgtest` cluster, dropped
   afterwards. N classes of 40 examinees with a teacher each (a fast password
   hasher, issued passwords marked as changed), the demo exam
   `reading-spring` imported as `load_demo` does, one open session per class
   (`proctoring.services.session_open`), and a browser session per user written
   straight into the session store with the keys `django.contrib.auth.login`
   writes (no Argon2 sign-in), plus a CSRF cookie per pupil.
2. The server, pinned to core 0 (`taskset`) when there are two cores or more:
   without --postgres/--redis as `make run` serves (`manage.py runserver
   --noreload`, SQLite, in-memory channel layer, DEBUG on); otherwise
   `--processes` daphne processes (one port each; Redis database 5 of
   `scripts/redistest`, so as not to share groups with a test run on
   database 0), production-like (DEBUG off, a random SECRET_KEY and
   MESSAGE_KEYS, cookies without Secure). The relay is benchmarks/relay.py.
3. The load client (this process, asyncio + websockets, pinned to core 1):
   one proctor socket per class, then one `/ws/exam/<session>/` socket per
   pupil (Origin http://127.0.0.1:PORT, the session cookie; at most
   --connect-concurrency handshakes in flight). Pupils send a heartbeat with an
   `id` every 15 s (random phase) from the moment they are connected;
   proctors ask for a `snapshot` every 30 s, as proctor.js does. After a
   warm-up every proctor sends `start` at once. Then, for --duration seconds,
   every pupil sends signals at --signal-rate (random phase; the kinds rotate
   through all 11 browser kinds, so two signals of one pupil are never of one
   kind within a second and are never grouped; a fresh uuid `id` each) and
   saves an answer over HTTP every --save-every seconds (JSON POST to
   `/exam/attempts/<attempt>/answers/` with the CSRF cookie and
   `X-CSRFToken`, as the attempt page posts; the attempt id comes from the `state`
   frame; a single-choice answer, which at a position drawn with another kind is
   a valid save that clears that answer). Then a drain (no new frames) for what is in flight, a last
   snapshot per proctor, and every socket is closed. Nothing reconnects.
   With --hold N: N examinee sockets (N/40 classes, a proctor each), heartbeats
   only: no start, no signals, no saves.

Measured (latencies on the client's clock, `time.perf_counter`):

- signal → proctor: from sending a signal to its proctor receiving the
  `signal` frame with that id; p50/p99/max over the signals that arrived,
  and how many did not;
- heartbeat ack: from sending a heartbeat to its `ack` (heartbeats sent in the
  load window); "missed" counts heartbeats not answered before the next one,
  after which the attempt page would drop the socket and reconnect;
- answer save: the HTTP POST's round trip, and its status codes (`timeout`
  after 15 s, as the attempt page's fetch);
- start → all: from the proctors' `start` to the last pupil's `state` frame
  with an attempt (and to the last `session` frame), bounded by
  --start-timeout: "not reached" says how many got it;
- signals sent vs stored: `SignalReceipt` rows counted in the database after
  the server stopped (relay: signals its proctors received);
- lost events: `seq` numbers of the session that never reached its proctor
  (the last snapshot gives the end); resyncs: snapshots the proctor asked for
  because it saw a gap (protocol.md §2.3);
- error frames by code; sockets that closed without the client closing them,
  by close code; sockets that never connected, by cause;
- RSS per socket: (RSS of the server process(es) after all sockets are
  connected − before the first one) / sockets, from /proc/<pid>/status (every
  process of the server's process tree);
- server CPU over the load window from /proc/<pid>/stat (utime + stime):
  seconds per second, and milliseconds per signal sent (all the server's work
  of the window divided by the signals: heartbeats and saves included).
  PostgreSQL and Redis are other processes and not included. Beside it, the
  time the server's threads waited, runnable, for a CPU (run-queue wait,
  /proc/<pid>/task/*/schedstat): other processes on its core, or its own
  threads queueing for the one core it is pinned to. The client's own CPU,
  run-queue wait and event-loop lag are in the raw figures, to show whether
  it kept up.

Every run prints a markdown table row and its raw figures (JSON); --json
appends them to a file. A run that fails (setup, server start) says why and the
next one goes on.

The machine line (benchmarks/harness.py) and the load average before each run
are printed: the machine may be shared. `--project-dir` points the server and
the setup at another checkout (e.g. a `git worktree` of an older commit, for a
before/after table) with this virtualenv's Python.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import json
import math
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import harness

BENCH_DIR = Path(__file__).resolve().parent
CLASS_SIZE = 40
EXAM_CODE = "reading-spring"
REDIS_DB = 5
# The browser's signal kinds, as proctoring.models.Signal.CLIENT_KINDS (the load client does not import Django).
SIGNAL_KINDS = ["focus_lost", "focus_returned", "tab_hidden", "tab_visible", "fullscreen_exit", "fullscreen_enter"]
SIGNAL_KINDS += ["copy", "cut", "paste", "context_menu", "print"]
SAVE_TIMEOUT = 15.0  # the attempt page gives a save 15 s
FINAL_SNAPSHOT_WAIT = 5.0
LATE = ("drain", "close")  # heartbeats sent then may find their socket closed before the ack
CLOSE_WAIT = 15.0
SERVER_READY_TIMEOUT = 60.0
SETUP_TIMEOUT = 1200.0
WORKER_TIMEOUT = 300.0


# --- Setup, counting and dropping: run in a subprocess with Django on the target checkout -----------


def worker(args: argparse.Namespace) -> None:
    """`--worker setup|count|drop`: Django on the checkout under test, then one job."""
    harness.PROJECT_DIR = Path(args.project_dir).resolve()  # configure_django puts this on sys.path
    harness.configure_django(Path(args.db) if args.db else None)
    if args.worker == "drop":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{args.pg_name}" WITH (FORCE)')
        return
    if args.worker == "count":
        Path(args.out).write_text(json.dumps(count_rows()))
        return
    if args.pg_name:  # a database of our own on the cluster, as the test runner makes one
        from django.db import connection

        connection.settings_dict["TEST"]["NAME"] = args.pg_name
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    Path(args.out).write_text(json.dumps(build(args.classes[0], args.pupils, args.exam_minutes)))


def build(classes: int, pupils: int, exam_minutes: int) -> dict:
    """Classes of 40 (the last one smaller when `pupils` says so), a teacher each, an open session each,
    and a signed-in browser session per user. Returns the plan the client needs.
    """
    import datetime

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.test import override_settings
    from django.utils import timezone

    from classrooms.models import User
    from exams.catalog import load_exam_document
    from exams.models import Exam
    from proctoring import services

    started = time.perf_counter()
    expires = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    store = SessionStore()
    browser_sessions = []

    def signed_in(user: User) -> str:
        """A session as django.contrib.auth.login leaves it: the cookie value."""
        key = secrets.token_hex(16)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "classrooms.backends.MembershipBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        browser_sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        return f"{settings.SESSION_COOKIE_NAME}={key}"

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        organization = harness.new_school("live", "負荷試験小学校")
        document = json.loads((settings.BASE_DIR / "exams" / "samples" / f"{EXAM_CODE}.json").read_text("utf-8"))
        exam = load_exam_document(document)
        Exam.objects.filter(pk=exam.pk).update(time_limit_minutes=max(exam.time_limit_minutes, exam_minutes))
        # Saves give a single-choice answer ("choice"); at a position drawn with another kind it is a
        # valid save that clears that answer (exams.services.answer_save), so every save is a real one.
        choices = min(question.choices.count() for question in exam.questions.filter(kind="single"))
        plan = {"sessions": [], "questions": exam.questions_per_attempt, "choices": choices}
        left = pupils
        for number in range(1, classes + 1):
            size = min(CLASS_SIZE, left)
            left -= size
            teacher, school_class, examinees = harness.new_class(organization, number, size, login_prefix="live")
            session = services.session_open(school_class=school_class, exam=exam, by=teacher)
            entry = {"id": session.pk, "proctor": signed_in(teacher), "pupils": []}
            for examinee in User.objects.filter(pk__in=[e.pk for e in examinees]).order_by("pk"):
                csrf = secrets.token_hex(16)  # a 32-character secret: the cookie, and the header as is
                entry["pupils"].append(
                    {"id": examinee.pk, "cookie": f"{signed_in(examinee)}; csrftoken={csrf}", "csrf": csrf}
                )
            plan["sessions"].append(entry)
        Session.objects.bulk_create(browser_sessions, batch_size=500)
    plan["seconds"] = round(time.perf_counter() - started, 1)
    return plan


def count_rows() -> dict:
    from django.db.models import Count

    from exams.models import Attempt, AttemptQuestion
    from proctoring.models import Connection, Signal, SignalReceipt

    server_signals = dict(
        Signal.objects.filter(from_server=True).values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    return {
        "receipts": SignalReceipt.objects.count(),
        "signal_rows": Signal.objects.filter(from_server=False).count(),
        "server_signals": server_signals,
        "attempts": Attempt.objects.count(),
        "answers": AttemptQuestion.objects.exclude(answer=None).count(),
        "connections_left": Connection.objects.count(),
    }


def run_worker(args: argparse.Namespace, job: str, env: dict, timeout: float, **options) -> dict | None:
    """Run `--worker job` on the checkout under test; its JSON output, or None for drop."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", job, "--project-dir", args.project_dir]
    command += ["--out", str(out)]
    for name, value in options.items():
        if value is not None:
            command += [f"--{name.replace('_', '-')}", str(value)]
    try:
        finished = subprocess.run(command, env=env, timeout=timeout, capture_output=True, text=True)  # noqa: S603
        if finished.returncode:
            raise RuntimeError(f"worker {job} failed ({finished.returncode}):\n{finished.stderr[-3000:]}")
        return json.loads(out.read_text()) if job != "drop" else None
    finally:
        out.unlink(missing_ok=True)


# --- Processes: the server under test, measured from /proc ---------------------------------------


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (runserver with autoreload serves from a child)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def run_queue_seconds(pids: list[int]) -> float:
    """Time the threads of `pids` waited for a CPU while runnable (/proc/<pid>/task/*/schedstat):
    how much other processes on the same core held the server back.
    """
    waited = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    waited += int((task / "schedstat").read_text().split()[1])
    return waited / 1e9


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """The process(es) under test, one port each."""

    label: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    handles: list = field(default_factory=list)

    def pids(self) -> list[int]:
        return [pid for process in self.processes for pid in process_tree(process.pid)]

    def probe(self) -> tuple[int, float, float]:
        """(RSS KiB, CPU seconds, run-queue wait seconds) of the server's processes."""
        pids = self.pids()
        return rss_kib(pids), cpu_seconds(pids), run_queue_seconds(pids)

    def stop(self) -> None:
        """SIGINT, then SIGTERM, then SIGKILL, to each process group we started (see start_server)."""
        for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            alive = [process for process in self.processes if process.poll() is None]
            if not alive:
                break
            for process in alive:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, sig)
            deadline = time.monotonic() + wait
            for process in alive:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(max(deadline - time.monotonic(), 0.01))
        for handle in self.handles:
            handle.close()

    def log_problems(self) -> dict[str, int]:
        """Error lines of the server logs, by their first words (tracebacks' last lines)."""
        found: collections.Counter[str] = collections.Counter()
        for log in self.logs:
            with contextlib.suppress(OSError):
                lines = log.read_text(errors="replace").splitlines()
                for number, line in enumerate(lines):
                    if line.startswith("Traceback"):
                        end = next(
                            (lines[i] for i in range(number + 1, len(lines)) if lines[i] and not lines[i][0].isspace()),
                            "?",
                        )
                        found[end[:120]] += 1
                    elif " ERROR " in line or " CRITICAL " in line:
                        found[line.split(" ERROR ", 1)[-1].split(" CRITICAL ", 1)[-1][:120]] += 1
        return dict(found.most_common(8))


def start_server(server: Server, command: list[str], env: dict, cwd: Path, log: Path, args) -> None:
    prefix = []
    if args.server_cpus:
        prefix += ["taskset", "-c", args.server_cpus]
    if args.nofile:
        prefix += ["prlimit", f"--nofile={args.nofile}:{args.nofile}"]
    handle = log.open("w")
    # A process group of its own, so that stopping it stops whatever it started, and nothing else.
    server.processes.append(
        subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
            prefix + command, env=env, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    )
    server.logs.append(log)
    server.handles.append(handle)


def wait_ready(server: Server, http: bool) -> None:
    """Every port answers (Django: /healthz 200; the relay: its "listening" line), or RuntimeError."""
    deadline = time.monotonic() + SERVER_READY_TIMEOUT
    for process, port, log in zip(server.processes, server.ports, server.logs, strict=True):
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{server.label} exited ({process.returncode}):\n{tail(log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.label} not ready after {SERVER_READY_TIMEOUT:.0f} s:\n{tail(log)}")
            if http:
                with contextlib.suppress(OSError, TimeoutError, ValueError, IndexError):
                    if asyncio.run(http_request(port, "GET", "/healthz", {}, timeout=5))[0] == 200:
                        break
            elif "listening" in tail(log):
                break
            time.sleep(0.2)


def tail(log: Path, lines: int = 25) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return ""


# --- The client: sockets, frames, HTTP saves -------------------------------------------------


async def http_request(
    port: int, method: str, path: str, headers: dict, body: bytes = b"", timeout: float = SAVE_TIMEOUT
) -> tuple[int, bytes]:
    """One HTTP/1.1 request on a connection of its own; (status, body)."""

    async def exchange() -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
            head += [f"Content-Length: {len(body)}", *(f"{name}: {value}" for name, value in headers.items())]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            status = int((await reader.readline()).split()[1])
            length = None
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            data = await (reader.readexactly(length) if length is not None else reader.read())
            return status, data
        finally:
            writer.close()

    return await asyncio.wait_for(exchange(), timeout)


@dataclass(eq=False)
class Client:
    """One socket of the client: a pupil's or a proctor's."""

    role: str
    number: int
    session: int
    port: int
    cookie: str
    csrf: str = ""
    ws: object = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closing: bool = False
    closed: bool = False
    # pupils
    attempt: int | None = None
    attempt_at: float | None = None
    session_at: float | None = None
    awaiting_heartbeat: str | None = None
    heartbeats: int = 0
    saves: int = 0
    # proctors
    seq: int | None = None
    first_seq: int | None = None
    max_seq: int = 0
    seen: set[int] = field(default_factory=set)
    awaiting_snapshot: bool = False
    snapshots: int = 0
    running_at: float | None = None

    @property
    def connected(self) -> bool:
        return self.ws is not None and self.ready.is_set() and not self.closed


@dataclass
class Options:
    duration: float
    warmup: float
    start_timeout: float
    drain: float
    connect_timeout: float
    connect_concurrency: int
    signal_rate: float
    save_every: float
    heartbeat_every: float
    proctor_refresh: float
    hold: bool
    saves: bool
    seed: int


class Load:
    """Drives every socket of one run and keeps the figures."""

    def __init__(self, plan: dict, ports: list[int], options: Options, probe):
        self.options, self.probe = options, probe
        self.questions, self.choices = plan.get("questions", 5), plan.get("choices", 4)
        self.random = random.Random(options.seed)  # noqa: S311 - load timing, not secrets
        self.proctors: list[Client] = []
        self.pupils: list[Client] = []
        number = 0
        for index, entry in enumerate(plan["sessions"]):
            self.proctors.append(Client("proctor", index, entry["id"], ports[index % len(ports)], entry["proctor"]))
            for pupil in entry["pupils"]:
                port = ports[number % len(ports)]
                self.pupils.append(Client("exam", number, entry["id"], port, pupil["cookie"], pupil["csrf"]))
                number += 1
        self.proctor_of = {proctor.session: proctor for proctor in self.proctors}
        self.phase = "connect"
        self.stopping = asyncio.Event()
        self.heartbeat_sent: dict[str, tuple[float, str]] = {}
        self.heartbeat_latency: dict[str, list[float]] = collections.defaultdict(list)
        self.heartbeats_missed = 0
        self.signal_sent: dict[str, float] = {}
        self.signal_seen: set[str] = set()
        self.signal_acked: set[str] = set()
        self.signal_latency: list[float] = []
        self.signal_ack_latency: list[float] = []
        self.grouped_frames = 0
        self.save_latency: list[float] = []
        self.save_status: collections.Counter[str] = collections.Counter()
        self.saves_skipped = 0
        self.saves_in_flight = 0
        self.errors: collections.Counter[str] = collections.Counter()
        self.closes: collections.Counter[str] = collections.Counter()
        self.not_connected: collections.Counter[str] = collections.Counter()
        self.frames: collections.Counter[str] = collections.Counter()
        self.start_at: float | None = None
        self.lag: list[float] = []
        self.tasks: list[asyncio.Task] = []

    # -- sockets --

    async def open(self, client: Client, semaphore: asyncio.Semaphore, deadline: float) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus

        async with semaphore:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                self.not_connected["connect timeout"] += 1
                return
            url = f"ws://127.0.0.1:{client.port}/ws/{client.role}/{client.session}/"
            try:
                client.ws = await asyncio.wait_for(
                    connect(
                        url,
                        origin=f"http://127.0.0.1:{client.port}",
                        additional_headers={"Cookie": client.cookie} if client.cookie else None,
                        proxy=None,
                        compression=None,
                        open_timeout=None,
                        ping_interval=None,
                        close_timeout=2,
                        user_agent_header="kantoku-bench-live",
                    ),
                    remaining,
                )
            except InvalidStatus as error:
                self.not_connected[f"HTTP {error.response.status_code}"] += 1
                return
            except TimeoutError:
                self.not_connected["connect timeout"] += 1
                return
            except Exception as error:  # noqa: BLE001 - counted by kind; the run goes on
                self.not_connected[type(error).__name__] += 1
                return
            reader = self.exam_reader if client.role == "exam" else self.proctor_reader
            self.tasks.append(asyncio.create_task(self.read(client, reader)))
            try:
                await asyncio.wait_for(client.ready.wait(), max(deadline - time.perf_counter(), 0.01))
            except TimeoutError:
                self.not_connected["no first frame in time"] += 1
                return
        if client.connected:
            if client.role == "exam":
                self.tasks.append(asyncio.create_task(self.heartbeat_loop(client)))
            elif self.options.proctor_refresh > 0:
                self.tasks.append(asyncio.create_task(self.refresh_loop(client)))

    async def read(self, client: Client, handle) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for message in client.ws:
                try:
                    frame = json.loads(message)
                except ValueError:
                    self.frames["not json"] += 1
                    continue
                await handle(client, frame, time.perf_counter())
        except ConnectionClosed:
            pass
        finally:
            client.closed = True
            if not client.closing:
                code = client.ws.close_code or 1006
                self.closes[f"{client.role} {code} in {self.phase}"] += 1
            client.ready.set()  # a socket refused after accept is not waited for

    async def exam_reader(self, client: Client, frame: dict, now: float) -> None:
        kind = frame.get("type")
        self.frames[f"exam {kind}"] += 1
        if kind == "ack":
            ident = frame.get("id")
            if ident in self.heartbeat_sent:
                sent, phase = self.heartbeat_sent.pop(ident)
                self.heartbeat_latency[phase].append(now - sent)
                if client.awaiting_heartbeat == ident:
                    client.awaiting_heartbeat = None
            elif ident in self.signal_sent and ident not in self.signal_acked:
                self.signal_acked.add(ident)
                self.signal_ack_latency.append(now - self.signal_sent[ident])
        elif kind == "state":
            attempt = frame.get("attempt")
            if attempt:
                client.attempt = attempt.get("id")
                if self.start_at is not None and client.attempt_at is None:
                    client.attempt_at = now
            client.ready.set()
        elif kind == "session":
            if frame.get("status") == "running" and self.start_at is not None and client.session_at is None:
                client.session_at = now
        elif kind == "error":
            self.errors[f"exam {frame.get('code')}"] += 1

    async def proctor_reader(self, client: Client, frame: dict, now: float) -> None:
        kind = frame.get("type")
        self.frames[f"proctor {kind}"] += 1
        if kind == "snapshot":
            seq = frame.get("seq")
            if isinstance(seq, int):
                if client.first_seq is None:
                    client.first_seq = seq
                client.seq, client.awaiting_snapshot = seq, False
                client.max_seq = max(client.max_seq, seq)
            client.snapshots += 1
            status = (frame.get("session") or {}).get("status")
            if status == "running" and self.start_at is not None and client.running_at is None:
                client.running_at = now
            client.ready.set()
            return
        if kind == "error":
            self.errors[f"proctor {frame.get('code')}"] += 1
            return
        seq = frame.get("seq")
        if isinstance(seq, int):
            client.seen.add(seq)
            client.max_seq = max(client.max_seq, seq)
            # protocol.md §2.3: last + 1 applies, ≤ last is old, a gap asks for a snapshot.
            if not client.awaiting_snapshot and client.seq is not None and seq > client.seq:
                if seq == client.seq + 1:
                    client.seq = seq
                else:
                    client.awaiting_snapshot = True
                    self.frames["proctor resync"] += 1
                    await self.send(client, {"type": "snapshot"})
        if kind == "session" and frame.get("status") == "running" and client.running_at is None:
            client.running_at = now
        elif kind == "signal":
            ident = frame.get("id")
            if (frame.get("count") or 1) > 1:
                self.grouped_frames += 1
            sent = self.signal_sent.get(ident)
            if sent is not None and ident not in self.signal_seen:
                self.signal_seen.add(ident)
                self.signal_latency.append(now - sent)

    async def send(self, client: Client, frame: dict) -> bool:
        from websockets.exceptions import ConnectionClosed

        if client.closed or client.ws is None:
            return False
        try:
            await client.ws.send(json.dumps(frame))
        except ConnectionClosed:
            return False
        return True

    async def pause(self, seconds: float) -> bool:
        """Sleep, unless the run is stopping; False when it is."""
        try:
            await asyncio.wait_for(self.stopping.wait(), max(seconds, 0))
        except TimeoutError:
            return True
        return False

    # -- what the browsers do --

    async def heartbeat_loop(self, client: Client) -> None:
        every = self.options.heartbeat_every
        next_at = time.perf_counter() + self.random.uniform(0, every)
        while await self.pause(next_at - time.perf_counter()) and not client.closed:
            if client.awaiting_heartbeat is not None:
                self.heartbeats_missed += 1  # the attempt page would close this socket now and reconnect
            client.heartbeats += 1
            ident = f"hb-{client.number}-{client.heartbeats}"
            client.awaiting_heartbeat = ident
            self.heartbeat_sent[ident] = (time.perf_counter(), self.phase)
            if not await self.send(client, {"type": "heartbeat", "id": ident}):
                return
            next_at += every

    async def refresh_loop(self, client: Client) -> None:
        every = self.options.proctor_refresh
        next_at = time.perf_counter() + self.random.uniform(0, every)
        while await self.pause(next_at - time.perf_counter()) and not client.closed:
            await self.send(client, {"type": "snapshot"})
            next_at += every

    async def signal_loop(self, client: Client, until: float) -> None:
        every = 1 / self.options.signal_rate
        kinds = self.random.randrange(len(SIGNAL_KINDS))
        next_at = time.perf_counter() + self.random.uniform(0, every)
        while next_at < until and await self.pause(next_at - time.perf_counter()) and not client.closed:
            ident = str(uuid.uuid4())
            kinds += 1
            frame = {"type": "signal", "kind": SIGNAL_KINDS[kinds % len(SIGNAL_KINDS)], "id": ident}
            self.signal_sent[ident] = time.perf_counter()
            if not await self.send(client, frame):
                del self.signal_sent[ident]
                return
            next_at += every

    async def save_loop(self, client: Client, until: float) -> None:
        every = self.options.save_every
        next_at = time.perf_counter() + self.random.uniform(0, every)
        while next_at < until and await self.pause(next_at - time.perf_counter()) and not client.closed:
            next_at += every
            if client.attempt is None:
                self.saves_skipped += 1
                continue
            client.saves += 1
            body = {"position": (client.saves - 1) % self.questions, "choice": client.saves % self.choices}
            body["seq"] = client.saves
            headers = {
                "Content-Type": "application/json",
                "X-CSRFToken": client.csrf,
                "Cookie": client.cookie,
                "Origin": f"http://127.0.0.1:{client.port}",
            }
            path = f"/exam/attempts/{client.attempt}/answers/"
            started = time.perf_counter()
            self.saves_in_flight += 1
            try:
                status, _ = await http_request(client.port, "POST", path, headers, json.dumps(body).encode())
                self.save_status[str(status)] += 1
                self.save_latency.append(time.perf_counter() - started)
            except TimeoutError:
                self.save_status["timeout"] += 1
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as error:
                self.save_status[type(error).__name__] += 1
            finally:
                self.saves_in_flight -= 1

    async def lag_monitor(self) -> None:
        while not self.stopping.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.05)
            if self.phase == "load":
                self.lag.append(time.perf_counter() - before - 0.05)

    # -- the run --

    async def until(self, condition, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while not condition():
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def run(self) -> dict:
        options = self.options
        result: dict = {"sockets": len(self.pupils) + len(self.proctors), "pupils": len(self.pupils)}
        monitor = asyncio.create_task(self.lag_monitor())
        rss_before, _, _ = self.probe()
        started = time.perf_counter()
        deadline = started + options.connect_timeout
        semaphore = asyncio.Semaphore(options.connect_concurrency)
        await asyncio.gather(*(self.open(proctor, semaphore, deadline) for proctor in self.proctors))
        await asyncio.gather(*(self.open(pupil, semaphore, deadline) for pupil in self.pupils))
        connected = [client for client in self.proctors + self.pupils if client.connected]
        result["connect_s"] = time.perf_counter() - started
        result["connected"] = len(connected)
        rss_after, _, _ = self.probe()
        result["rss_before_kib"], result["rss_after_kib"] = rss_before, rss_after
        result["rss_per_socket_kib"] = (rss_after - rss_before) / len(connected) if connected else None

        self.phase = "warm-up"
        await self.pause(options.warmup)

        pupils = [pupil for pupil in self.pupils if pupil.connected]
        if not options.hold:
            self.phase = "start"
            self.start_at = time.perf_counter()
            await asyncio.gather(*(self.send(p, {"type": "start"}) for p in self.proctors if p.connected))

            def started_all() -> bool:
                return all(pupil.attempt_at is not None or pupil.closed for pupil in pupils)

            await self.until(started_all, options.start_timeout)
            waited = time.perf_counter() - self.start_at
            await self.until(lambda: all(p.session_at or p.closed for p in pupils), 1.0)
            result["start"] = self.start_figures(pupils, waited)

        self.phase = "load"
        load_started = time.perf_counter()
        load_end = load_started + options.duration
        cpu_wall, cpu_client = time.perf_counter(), sum(os.times()[:2])
        client_wait = run_queue_seconds([os.getpid()])
        _, server_cpu, server_wait = self.probe()
        workers = []
        if not options.hold:
            for pupil in pupils:
                if options.signal_rate > 0:
                    workers.append(asyncio.create_task(self.signal_loop(pupil, load_end)))
                if options.saves and options.save_every > 0:
                    workers.append(asyncio.create_task(self.save_loop(pupil, load_end)))
        await self.pause(load_end - time.perf_counter())
        _, server_cpu_after, server_wait_after = self.probe()
        window = time.perf_counter() - cpu_wall
        result["window_s"] = window
        result["server_cpu_s"] = server_cpu_after - server_cpu
        result["server_run_queue_wait_s"] = server_wait_after - server_wait
        result["client_cpu_s"] = sum(os.times()[:2]) - cpu_client
        result["client_run_queue_wait_s"] = run_queue_seconds([os.getpid()]) - client_wait
        result["signals_sent"] = len(self.signal_sent)
        result["signals_offered_per_s"] = len(pupils) * options.signal_rate if not options.hold else 0
        await asyncio.gather(*workers)  # the last saves return within SAVE_TIMEOUT

        # Drain: nothing new is sent; wait for what is in flight, then a last snapshot per proctor.
        self.phase = "drain"
        drained_from = time.perf_counter()

        def drained() -> bool:
            return (
                len(self.signal_seen) >= len(self.signal_sent)
                and len(self.signal_acked) >= len(self.signal_sent)
                and not self.saves_in_flight
            )

        await self.until(drained, options.drain)
        live_proctors = [p for p in self.proctors if p.connected]
        counts = {p.number: p.snapshots for p in live_proctors}
        for proctor in live_proctors:
            proctor.awaiting_snapshot = True  # the answer ends the count of lost events
            await self.send(proctor, {"type": "snapshot"})
        final = await self.until(
            lambda: all(p.snapshots > counts[p.number] or p.closed for p in live_proctors), FINAL_SNAPSHOT_WAIT
        )
        result["final_snapshots"] = "all" if final else "not all in time"
        await asyncio.sleep(0.3)  # frames published just before the snapshot was read
        result["drain_s"] = time.perf_counter() - drained_from

        self.phase = "close"
        self.stopping.set()
        for client in self.pupils + self.proctors:
            client.closing = True
        closers = [client.ws.close() for client in self.pupils + self.proctors if client.ws is not None]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*closers, return_exceptions=True), CLOSE_WAIT)
        for task in [*self.tasks, monitor]:
            task.cancel()
        await asyncio.gather(*self.tasks, monitor, return_exceptions=True)
        result.update(self.figures())
        return result

    def start_figures(self, pupils: list[Client], waited: float) -> dict:
        """Start → all: every pupil's `state` with an attempt, every `session` frame, the proctors' own."""
        reached = [pupil.attempt_at - self.start_at for pupil in pupils if pupil.attempt_at is not None]
        closed = sum(1 for pupil in pupils if pupil.attempt_at is None and pupil.closed)
        sessions = [pupil.session_at - self.start_at for pupil in pupils if pupil.session_at is not None]
        proctors = [p.running_at - self.start_at for p in self.proctors if p.running_at is not None]
        return {
            "pupils": len(pupils),
            "reached": len(reached),
            "closed_first": closed,
            "all_s": max(reached) if reached and len(reached) + closed == len(pupils) else None,
            "p50_s": percentile(reached, 50),
            "waited_s": waited,
            "session_frame_all_s": max(sessions) if len(sessions) == len(pupils) and sessions else None,
            "session_frames": len(sessions),
            "proctors_running_s": max(proctors) if len(proctors) == len(self.proctors) and proctors else None,
        }

    def figures(self) -> dict:
        lost = resyncs = 0
        for proctor in self.proctors:
            if proctor.first_seq is not None:
                expected = range(proctor.first_seq + 1, proctor.max_seq + 1)
                lost += sum(1 for seq in expected if seq not in proctor.seen)
        resyncs = self.frames.get("proctor resync", 0)
        load_heartbeats = self.heartbeat_latency.get("load", [])
        all_heartbeats = [value for values in self.heartbeat_latency.values() for value in values]
        return {
            "signal_to_proctor": summary(self.signal_latency),
            "signals_at_proctor": len(self.signal_seen),
            "signals_acked": len(self.signal_acked),
            "signal_ack": summary(self.signal_ack_latency),
            "grouped_frames": self.grouped_frames,
            "heartbeat_ack_load": summary(load_heartbeats),
            "heartbeat_ack_max_s": max(all_heartbeats) if all_heartbeats else None,
            "heartbeats_unanswered": sum(1 for _, phase in self.heartbeat_sent.values() if phase not in LATE),
            "heartbeats_missed": self.heartbeats_missed,
            "save": summary(self.save_latency),
            "save_status": dict(self.save_status),
            "saves_skipped_no_attempt": self.saves_skipped,
            "lost_events": lost,
            "resyncs": resyncs,
            "errors": dict(self.errors),
            "dropped": dict(self.closes),
            "not_connected": dict(self.not_connected),
            "client_lag": summary(self.lag),
            "frames": dict(sorted(self.frames.items())),
        }


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
    }


# --- One run: setup, server, load, count ---------------------------------------------------


def plan_for_relay(classes: int, pupils: int) -> dict:
    sessions, number = [], 0
    for index in range(classes):
        size = min(CLASS_SIZE, pupils - number)
        entry = {"id": index + 1, "proctor": "", "pupils": []}
        for _ in range(size):
            number += 1
            entry["pupils"].append({"id": number, "cookie": "", "csrf": ""})
        sessions.append(entry)
    return {"sessions": sessions, "questions": 5, "choices": 4}


def server_env(args, extra: dict) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "SQLITE_PATH")}
    env.update(extra)
    return env


def setup_label(args) -> str:
    if not (args.postgres or args.redis):
        return "Kantoku embedded (runserver, SQLite, in-memory layer)"
    database = "PostgreSQL" if args.postgres else "SQLite"
    layer = "Redis" if args.redis else "in-memory layer"
    return f"Kantoku {database} + {layer}, {args.processes} daphne"


def run_one(args, kind: str, classes: int, pupils: int, number: int) -> dict:
    """One size of one setup on a fresh server; the figures, or what went wrong."""
    label = "relay" if kind == "relay" else setup_label(args)
    result: dict = {"setup": label, "classes": classes, "hold": bool(args.hold), "load_average": loadavg()}
    print(f"\n== {label}: {classes} class(es), {pupils} pupils (load average {result['load_average']}) ==", flush=True)
    directory = Path(tempfile.mkdtemp(prefix="kantoku-bench-live-"))
    server = Server(label)
    pg_name = None
    env = server_env(args, args.secrets)
    try:
        if kind == "relay":
            plan = plan_for_relay(classes, pupils)
            server.ports.append(free_port())
            command = [sys.executable, str(BENCH_DIR / "relay.py"), "--port", str(server.ports[0])]
            start_server(server, command, env, BENCH_DIR, directory / "relay.log", args)
        else:
            database = directory / "bench.sqlite3"
            if args.postgres:
                pg_name = f"kantoku_live_{os.getpid()}_{number}"
                env["DATABASE_URL"] = args.database_url
            exam_minutes = int(args.duration / 60) + 30
            setup_started = time.perf_counter()
            plan = run_worker(
                args,
                "setup",
                env,
                SETUP_TIMEOUT,
                db=None if args.postgres else database,
                pg_name=pg_name,
                classes=classes,
                pupils=pupils,
                exam_minutes=exam_minutes,
            )
            result["setup_s"] = round(time.perf_counter() - setup_started, 1)
            print(f"setup: {result['setup_s']} s (data {plan['seconds']} s)", flush=True)
            if args.postgres:
                env["DATABASE_URL"] = with_database(args.database_url, pg_name)
            else:
                env["SQLITE_PATH"] = str(database)
            if args.redis:
                env["REDIS_URL"] = args.redis_url
                redis_flush(args.redis_url)
            cwd = Path(args.project_dir)
            if args.postgres or args.redis:
                for index in range(args.processes):
                    server.ports.append(free_port())
                    command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(server.ports[-1])]
                    command.append("config.asgi:application")
                    start_server(server, command, env, cwd, directory / f"daphne-{index}.log", args)
            else:
                server.ports.append(free_port())
                command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{server.ports[0]}"]
                start_server(server, command, env, cwd, directory / "runserver.log", args)
        wait_ready(server, http=kind != "relay")
        result["server_pids"] = server.pids()
        options = Options(
            duration=args.duration,
            warmup=args.warmup,
            start_timeout=args.start_timeout,
            drain=args.drain,
            connect_timeout=args.connect_timeout or 60 + 0.06 * (pupils + classes),
            connect_concurrency=args.connect_concurrency,
            signal_rate=args.signal_rate,
            save_every=args.save_every,
            heartbeat_every=args.heartbeat_every,
            proctor_refresh=args.proctor_refresh,
            hold=bool(args.hold),
            saves=kind != "relay",
            seed=args.seed + number,
        )
        started = time.perf_counter()
        result.update(asyncio.run(Load(plan, server.ports, options, server.probe).run()))
        result["client_s"] = round(time.perf_counter() - started, 1)
    except Exception as error:  # noqa: BLE001 - reported, and the next run goes on
        result["failed"] = f"{type(error).__name__}: {error}"
        print(f"FAILED: {error}", flush=True)
    finally:
        server.stop()
        result["server_log_problems"] = server.log_problems()
    if kind != "relay" and "failed" not in result:
        try:
            rows = run_worker(
                args, "count", env, WORKER_TIMEOUT, db=None if args.postgres else directory / "bench.sqlite3"
            )
            result["stored"] = rows
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            result["stored"] = {"error": str(error)}
    if pg_name:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            run_worker(args, "drop", {**env, "DATABASE_URL": args.database_url}, WORKER_TIMEOUT, pg_name=pg_name)
    if args.keep:
        print(f"(kept {directory})")
    else:
        shutil.rmtree(directory, ignore_errors=True)
    report(result)
    return result


def redis_flush(url: str) -> None:
    """FLUSHDB of our own database index (REDIS_DB): groups of an earlier run would linger a day."""
    parts = urllib.parse.urlsplit(url)
    database = parts.path.strip("/") or "0"
    with socket.create_connection((parts.hostname, parts.port or 6379), timeout=5) as connection:
        connection.sendall(f"*2\r\n$6\r\nSELECT\r\n${len(database)}\r\n{database}\r\n*1\r\n$7\r\nFLUSHDB\r\n".encode())
        replies = b""
        while replies.count(b"\r\n") < 2:
            chunk = connection.recv(1024)
            if not chunk:
                break
            replies += chunk
    if replies.count(b"+OK") < 2:
        raise RuntimeError(f"Redis FLUSHDB on {url} answered {replies!r}")


def with_database(url: str, name: str) -> str:
    return urllib.parse.urlsplit(url)._replace(path=f"/{name}").geturl()


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --- The report ------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def counts(counter: dict) -> str:
    return ", ".join(f"{key}: {value}" for key, value in sorted(counter.items())) or "0"


TABLE_HEAD = (
    "| setup | classes | sockets | signals offered/s | signal → proctor p50 / p99 / max | heartbeat ack p99 "
    "| answer save p99 (statuses) | start → all | signals sent / stored | lost events (resyncs) "
    "| error frames | sockets dropped | RSS / socket | server CPU s/s (run-queue wait s/s) | CPU / signal |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def table_row(result: dict) -> str:
    if "failed" in result:
        return f"| {result['setup']} | {result['classes']} | failed: {result['failed'].splitlines()[0]} |"
    signal = result["signal_to_proctor"]
    sent = result["signals_sent"]
    arrived = f"{signal['n']}/{sent} arrived" if signal["n"] < sent else ""
    latency = f"{ms(signal['p50'])} / {ms(signal['p99'])} / {ms(signal['max'])}"
    latency = f"{latency} ({arrived})" if arrived else latency
    if result["signals_offered_per_s"] == 0:
        latency = "–"
    start = result.get("start")
    if start is None:
        start_text = "–"
    elif start["all_s"] is not None:
        start_text = ms(start["all_s"])
        if start["closed_first"]:
            start_text += f" ({start['closed_first']} closed first)"
    else:
        start_text = f"not reached ({start['reached']}/{start['pupils']} in {start['waited_s']:.0f} s)"
    stored = result["stored"].get("receipts", "?") if "stored" in result else f"{result['signals_at_proctor']} received"
    save = result["save"]
    save_text = f"{ms(save['p99'])} ({counts(result['save_status'])})" if result["save_status"] else "–"
    dropped = sum(result["dropped"].values())
    dropped_text = f"{dropped} ({counts(result['dropped'])})" if dropped else "0"
    if result["not_connected"]:
        dropped_text += f"; not connected: {counts(result['not_connected'])}"
    cpu_per_signal = result["server_cpu_s"] / sent * 1000 if sent else None
    wait = result["server_run_queue_wait_s"] / result["window_s"]
    rss = result["rss_per_socket_kib"]
    heartbeat = result["heartbeat_ack_load"]
    heartbeat_text = ms(heartbeat["p99"])
    if result["heartbeats_unanswered"]:
        heartbeat_text += f" ({result['heartbeats_unanswered']} unanswered)"
    classes = f"{result['classes']} (hold {result['pupils']})" if result.get("hold") else str(result["classes"])
    signals = f"{sent} / {stored}" if not result.get("hold") else "–"
    cells = [
        result["setup"],
        classes,
        f"{result['connected']}/{result['sockets']}",
        f"{result['signals_offered_per_s']:.0f}",
        latency,
        heartbeat_text,
        save_text,
        start_text,
        signals,
        f"{result['lost_events']} ({result['resyncs']})",
        counts(result["errors"]),
        dropped_text,
        f"{rss:.0f} KiB" if rss is not None else "–",
        f"{result['server_cpu_s'] / result['window_s']:.2f} (waited {wait:.2f})",
        f"{cpu_per_signal:.1f} ms" if cpu_per_signal is not None else "–",
    ]
    return "| " + " | ".join(cells) + " |"


def report(result: dict) -> None:
    print(TABLE_HEAD)
    print(table_row(result))
    raw = {key: value for key, value in result.items() if key != "frames"}
    print("raw:", json.dumps(rounded(raw), ensure_ascii=False, default=str))
    if "frames" in result:
        print("frames received:", counts(result["frames"]))
    sys.stdout.flush()


def rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


# --- Main --------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", type=int, nargs="+", default=[1, 4, 25], help="sizes, in classes of 40")
    parser.add_argument("--hold", type=int, default=0, help="hold this many examinee sockets, heartbeats only")
    parser.add_argument("--duration", type=float, default=45, help="the load window, s (default 45)")
    parser.add_argument("--warmup", type=float, default=5, help="s between connected and start (default 5)")
    parser.add_argument("--start-timeout", type=float, default=30, help="wait for start → all, s (default 30)")
    parser.add_argument("--drain", type=float, default=10, help="wait for frames in flight, s (default 10)")
    parser.add_argument("--connect-timeout", type=float, default=0, help="s (default 60 + 0.06 per socket)")
    parser.add_argument("--connect-concurrency", type=int, default=50, help="handshakes in flight (default 50)")
    parser.add_argument("--signal-rate", type=float, default=0.5, help="signals per pupil per s (default 0.5)")
    parser.add_argument("--save-every", type=float, default=20, help="s between a pupil's saves (default 20)")
    parser.add_argument("--heartbeat-every", type=float, default=15, help=argparse.SUPPRESS)
    parser.add_argument("--proctor-refresh", type=float, default=30, help=argparse.SUPPRESS)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--relay-only", action="store_true", help="only the bare relay")
    mode.add_argument("--no-relay", action="store_true", help="only Kantoku")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (scripts/pgtest) instead of SQLite")
    parser.add_argument("--redis", action="store_true", help="Redis channel layer (scripts/redistest)")
    parser.add_argument("--processes", type=int, default=1, choices=[1, 2, 3, 4], help="daphne processes")
    parser.add_argument("--project-dir", default=str(BENCH_DIR.parent), help="the checkout to serve")
    parser.add_argument("--json", help="append every run's raw figures to this file (JSON lines)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, database)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server and the client to cores")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", choices=["setup", "count", "drop"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--pg-name", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--pupils", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--exam-minutes", type=int, default=40, help=argparse.SUPPRESS)
    return parser.parse_args()


def scripts_url(name: str) -> str:
    """`scripts/<name> start` of this checkout (the cluster `make test` uses): its URL."""
    finished = subprocess.run(  # noqa: S603 - our own script
        [str(BENCH_DIR.parent / "scripts" / name), "start"], capture_output=True, text=True, timeout=180
    )
    if finished.returncode:
        sys.exit(f"scripts/{name} start failed:\n{finished.stderr[-2000:]}")
    return finished.stdout.strip()


def main() -> None:
    args = parse_args()
    if args.worker:
        worker(args)
        return
    if args.processes > 1 and not args.redis:
        sys.exit("several processes need --redis (the in-memory channel layer does not cross processes)")
    args.project_dir = str(Path(args.project_dir).resolve())
    if not (Path(args.project_dir) / "manage.py").exists():
        sys.exit(f"no manage.py in {args.project_dir}")
    if args.hold:
        sizes = [(math.ceil(args.hold / CLASS_SIZE), args.hold)]
    else:
        sizes = [(classes, classes * CLASS_SIZE) for classes in args.classes]
    most = max(pupils + classes for classes, pupils in sizes)

    # Pinning: the server on core 0, this client on core 1 (when there are two cores or more).
    args.server_cpus = None
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset") and not args.no_pin:
        args.server_cpus = "0"
        os.sched_setaffinity(0, {1})
    # File descriptors: a socket each, twice over for the server's side, and some room.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * most + 1024
    args.nofile = None
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
        if shutil.which("prlimit"):
            args.nofile = min(need, hard)
    # One key for the setup and the server(s): the sessions written by the setup are signed with it.
    args.secrets = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "MESSAGE_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "SECURE_COOKIES": "false",
        "DEBUG": "true" if not (args.postgres or args.redis) else "false",  # make run / production
    }
    if args.postgres:
        args.database_url = scripts_url("pgtest")
    if args.redis:
        args.redis_url = with_database(scripts_url("redistest"), str(REDIS_DB))

    kinds = ["relay"] if args.relay_only else ["kantoku"] if args.no_relay else ["relay", "kantoku"]
    print(f"machine: {harness.machine()}")
    print(f"checkout served: {args.project_dir} ({git_head(args.project_dir)}); python {sys.executable}")
    print(
        f"load: {args.signal_rate} signals/s per pupil, a save every {args.save_every:g} s, a heartbeat every "
        f"{args.heartbeat_every:g} s; {args.duration:g} s window; server cores {args.server_cpus or 'any'}, "
        f"client cores {sorted(os.sched_getaffinity(0))}",
        flush=True,
    )
    started = time.perf_counter()
    results = []
    number = 0
    for classes, pupils in sizes:
        for kind in kinds:
            number += 1
            result = run_one(args, kind, classes, pupils, number)
            results.append(result)
            if args.json:
                with open(args.json, "a") as handle:
                    handle.write(json.dumps(rounded(result), ensure_ascii=False, default=str) + "\n")
    print("\n== Summary ==")
    print(f"machine: {harness.machine()}")
    print(TABLE_HEAD)
    for result in results:
        print(table_row(result))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


def git_head(directory: str) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        finished = subprocess.run(  # noqa: S603
            ["git", "-C", directory, "describe", "--always", "--dirty"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
        )
        return finished.stdout.strip() or "not a git checkout"
    return "?"


if __name__ == "__main__":
    main()
