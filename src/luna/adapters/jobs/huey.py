"""Job queue on Huey: a SQLite queue file for the embedded mode, Redis for scale-out.

Huey gives both modes with the same code: ``SqliteHuey`` keeps a durable queue file under the data
dir (``luna serve`` runs the workers as threads), ``RedisHuey`` lets ``luna worker`` processes on
any number of machines share one queue. The queue only carries job IDs; one generic Huey task hands
each ID to the handler the worker side registered, and the SQL ``jobs`` table stays the record.
Huey's result store is off: nothing but queued IDs is kept in the broker.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import huey
from huey import RedisHuey, SqliteHuey
from redis import ConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from luna.domain.health import ComponentHealth, HealthStatus
from luna.ports.jobs import JobHandler

logger = logging.getLogger(__name__)

#: Longest a Redis worker blocks in BRPOP before it looks at its stop flag again.
REDIS_BLOCK_SEC = 1
#: Polling of a non-blocking queue (SQLite) backs off from the first to the second value when idle.
POLL_MIN_SEC = 0.05
POLL_MAX_SEC = 1.0
#: Back-off while the broker is unreachable, so a Redis outage does not flood the log.
BROKER_RETRY_MAX_SEC = 5.0
HEALTH_TIMEOUT_SEC = 1.0


class HueyJobQueue:
    """:class:`~luna.ports.jobs.JobQueue` on a Huey instance (SQLite or Redis storage).

    Build it with :meth:`sqlite` or :meth:`redis`. A process may only enqueue (the API of a
    scale-out deployment), run in-process worker threads (:meth:`start_workers`, the embedded
    ``luna serve``) or run a foreground consumer (:meth:`run_worker`, ``luna worker``).
    """

    def __init__(
        self,
        queue: huey.Huey,
        *,
        backend: str,
        health_client: Redis | None = None,
        shutdown_timeout_sec: float = 30.0,
    ) -> None:
        self._huey = queue
        self._backend = backend
        self._health_client = health_client
        self._shutdown_timeout_sec = shutdown_timeout_sec
        self._handler: JobHandler | None = None
        self._stop = threading.Event()
        self._work_available = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._task = queue.task(name="execute_job")(self._execute_job)

    @classmethod
    def sqlite(cls, path: Path, *, name: str) -> HueyJobQueue:
        """A durable queue in the SQLite file ``path`` (several processes on one machine may share it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(SqliteHuey(name, filename=str(path), results=False), backend="huey-sqlite")

    @classmethod
    def redis(cls, url: str, *, name: str) -> HueyJobQueue:
        """A queue in Redis at ``url``; every ``luna worker`` pointing at it takes jobs from it."""
        pool = ConnectionPool.from_url(
            url, socket_connect_timeout=5.0, socket_timeout=REDIS_BLOCK_SEC + 10.0, health_check_interval=30
        )
        queue = RedisHuey(
            name, connection_pool=pool, results=False, blocking=True, read_timeout=REDIS_BLOCK_SEC
        )
        health_client = Redis.from_url(
            url,
            socket_connect_timeout=HEALTH_TIMEOUT_SEC,
            socket_timeout=HEALTH_TIMEOUT_SEC,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(queue, backend="huey-redis", health_client=health_client)

    @property
    def backend(self) -> str:
        return self._backend

    def enqueue(self, job_id: str) -> None:
        self._task(job_id)
        with self._work_available:
            self._work_available.notify()

    def pending(self) -> int:
        return int(self._huey.pending_count())

    def _execute_job(self, job_id: str) -> None:
        """The one Huey task: hand the job ID to the handler of this worker process."""
        if self._handler is None:
            raise RuntimeError(f"job {job_id} was dequeued by a process that runs no worker")
        self._handler(job_id)

    def start_workers(self, handler: JobHandler, workers: int) -> None:
        """Execute queued jobs in ``workers`` daemon threads of this process.

        These threads call Huey's public ``dequeue()``/``execute()`` themselves instead of running a
        Huey ``Consumer``: the consumer installs SIGINT/SIGTERM/SIGHUP handlers (which would take the
        shutdown signals away from uvicorn in ``luna serve``, and ``signal.signal`` only works in the
        main thread anyway), starts a scheduler thread Luna does not use, and can only poll a SQLite
        queue. Own threads also wake at once when this process enqueues a job, and stop through a
        plain event that :meth:`stop_workers` sets.
        """
        if self._threads:
            raise RuntimeError("workers are already running in this process")
        self._handler = handler
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._work, name=f"luna-job-worker-{number}", daemon=True)
            for number in range(1, workers + 1)
        ]
        for thread in self._threads:
            thread.start()
        logger.info("started %d job worker thread(s) on %s", workers, self._backend)

    def stop_workers(self) -> None:
        """Let each thread finish the job it is running, then join them within the shutdown timeout.

        A job still running after the timeout keeps its daemon thread; when the process exits, the
        job's heartbeat stops and the next worker re-queues it (see ``recover_stale``).
        """
        self._stop.set()
        with self._work_available:
            self._work_available.notify_all()
        deadline = time.monotonic() + self._shutdown_timeout_sec
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        still_running = [thread.name for thread in self._threads if thread.is_alive()]
        if still_running:
            logger.warning(
                "job workers still busy after %.0f s: %s", self._shutdown_timeout_sec, still_running
            )
        self._threads = []

    def _work(self) -> None:
        idle_wait = POLL_MIN_SEC
        broker_wait = POLL_MIN_SEC
        while not self._stop.is_set():
            try:
                task = self._huey.dequeue()
            except Exception as error:  # broker unreachable: back off and try again
                logger.warning("job queue %s unreachable: %s", self._backend, error)
                self._stop.wait(broker_wait)
                broker_wait = min(broker_wait * 2, BROKER_RETRY_MAX_SEC)
                continue
            broker_wait = POLL_MIN_SEC
            if task is not None:
                idle_wait = POLL_MIN_SEC
                self._huey.execute(task)
            elif not self._huey.storage.blocking:
                with self._work_available:
                    if not self._stop.is_set():
                        self._work_available.wait(idle_wait)
                idle_wait = min(idle_wait * 2, POLL_MAX_SEC)

    def run_worker(self, handler: JobHandler, workers: int) -> None:
        """Run Huey's consumer in the foreground until a signal stops it (``luna worker``).

        SIGTERM (what systemd, Docker and Kubernetes send) stops gracefully: running jobs finish
        first, a second SIGTERM interrupts them. SIGINT (Ctrl+C) stops at once; a job it interrupts
        is re-queued by the next worker once its heartbeat is stale.
        """
        self._handler = handler
        consumer = self._huey.create_consumer(
            workers=workers,
            worker_type="thread",
            periodic=False,
            initial_delay=POLL_MIN_SEC,
            max_delay=POLL_MAX_SEC,
            graceful_signal="TERM",
        )
        consumer.run()

    def health(self) -> ComponentHealth:
        """Ping the broker (Redis PING, or a queue-length read for SQLite) within a short timeout."""
        started = time.perf_counter()
        try:
            if self._health_client is not None:
                self._health_client.ping()
                pending = int(self._health_client.llen(self._huey.storage.queue_key))
            else:
                pending = self.pending()
        except Exception as error:
            return ComponentHealth(
                name="jobs",
                status=HealthStatus.DOWN,
                backend=self._backend,
                version=huey.__version__,
                detail=f"{type(error).__name__}: {error}",
            )
        return ComponentHealth(
            name="jobs",
            status=HealthStatus.UP,
            backend=self._backend,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            version=huey.__version__,
            extra={"pending": pending, "queue": self._huey.name, "worker_threads": len(self._threads)},
        )
