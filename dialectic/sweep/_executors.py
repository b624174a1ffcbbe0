"""Where a sweep's tasks run: `local` (this process, one after the other), `process` (a pool of processes on
this machine) and `ray` (a Ray cluster, local or remote; ray is imported only here, only when chosen). Each
hands every outcome to `record` in the driver, which alone writes the store; a task whose worker dies is
retried, then recorded as failed; a failed run never stops the others."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from dialectic.sweep._task import Outcome, Task, failed_outcomes, run_task

Record = Callable[[Outcome], None]
#: Executors by name.
EXECUTORS = ("local", "process", "ray")
#: Times a task whose worker process died is run again before its runs are recorded as failed.
WORKER_RETRIES = 2


def run_local(tasks: list[Task], record: Record, task_done: Callable[[], None]) -> None:
    """Each task in this process; `record` sees each run as it finishes, `task_done` each task's end."""
    for task in tasks:
        run_task(task, on_result=record)
        task_done()


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the driver, which stops them (a terminal sends SIGINT to the whole group)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def run_process(tasks: list[Task], record: Record, workers: int) -> None:
    """A pool of `workers` processes, at most 2 x workers tasks queued; a pool broken by a dying worker is
    replaced and its tasks run again (WORKER_RETRIES times)."""
    queue: list[tuple[Task, int]] = [(t, 0) for t in reversed(tasks)]
    while queue:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_ignore_sigint)
        pending: dict[Future[list[Outcome]], tuple[Task, int]] = {}
        broken = False
        try:
            while queue or pending:
                while queue and len(pending) < 2 * workers and not broken:
                    task, tries = queue.pop()
                    try:
                        pending[pool.submit(run_task, task)] = (task, tries)
                    except BrokenProcessPool:  # a worker died since the last look: this task never started
                        queue.append((task, tries))
                        broken = True
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    task, tries = pending.pop(future)
                    try:
                        outcomes = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if tries < WORKER_RETRIES:
                            queue.append((task, tries + 1))
                        else:
                            outcomes = failed_outcomes(task, f"worker process died ({tries + 1} tries)")
                            for outcome in outcomes:
                                record(outcome)
                        continue
                    except Exception as error:  # noqa: BLE001  (a task that failed whole: its runs failed)
                        outcomes = failed_outcomes(task, error)
                    for outcome in outcomes:
                        record(outcome)
                if broken and not pending:
                    break
        except BaseException:
            _stop(pool)
            raise
        pool.shutdown(wait=True, cancel_futures=True)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool at once (Ctrl-C): its workers ignore SIGINT, so they are terminated."""
    processes = dict(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        process.join(timeout=5)


def ray_start(address: str | None, workers: int) -> tuple[int, bool]:
    """Join the Ray cluster at `address` (``auto``: the one `ray start` runs here), or start a local one of
    `workers` CPUs; a cluster this process already initialised is used as it is. Returns the cluster's CPUs
    and whether this call connected (and so should disconnect)."""
    try:
        import ray
    except ImportError:
        raise ValueError("--executor ray: expected the `ray` extra (pip install 'dialectic[ray]'), found no ray "
                         "module") from None
    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING"}
        if address is None:
            options["num_cpus"] = workers
        ray.init(address=address, **options)
        started = True
    return max(1, int(ray.cluster_resources().get("CPU", workers))), started


def ray_stop() -> None:
    import ray

    ray.shutdown()


def run_ray(tasks: list[Task], record: Record, cpus: int) -> None:
    """Tasks as Ray tasks (one CPU each), at most 2 x the cluster's CPUs in flight; Ray runs a task again when
    its worker dies (WORKER_RETRIES times), then its runs are recorded as failed."""
    import ray

    remote = ray.remote(run_task).options(num_cpus=1, max_retries=WORKER_RETRIES, retry_exceptions=False)
    queue: Iterator[Task] = iter(tasks)
    pending: dict[Any, Task] = {}
    try:
        while True:
            while len(pending) < 2 * cpus and (task := next(queue, None)) is not None:
                pending[remote.remote(task)] = task
            if not pending:
                break
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                task = pending.pop(ref)
                try:
                    outcomes = ray.get(ref)
                except Exception as error:  # noqa: BLE001  (RayError: the worker died past its retries)
                    outcomes = failed_outcomes(task, error)
                for outcome in outcomes:
                    record(outcome)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise
