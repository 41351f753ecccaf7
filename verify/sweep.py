"""One executor layer for every sweep: Dask distributed, a local cluster by default.

A sweep is a list of independent :class:`Task` s (models x prompt sets x lengths x
dtypes, the prescription grid, the Section 3 task grid) and one *task function* that
turns a task's parameters into a JSON-able result. :func:`run_sweep`

- names every task by the sha256 of its kind, parameters and code version, and keeps
  each result in a content-addressed store (``<store>/<key[:2]>/<key>.json``), written
  atomically as it arrives: a killed sweep resumes where it stopped, and a rerun costs
  nothing;
- runs the missing tasks on a Dask cluster: by default a ``LocalCluster`` of worker
  processes (one thread each); ``scheduler="tcp://host:port"`` uses an existing cluster
  (``dask-jobqueue`` starts one on Slurm or PBS, see the README);
- returns the results in task order, so the output is byte-identical to a serial run
  (``scheduler="serial"``) whatever the number of workers or the completion order.

Task functions that need a model load it through a per-process cache
(:func:`worker_cached`), so each worker loads a model once, not once per task.
Dask's scheduler reschedules the tasks of a worker that dies; the sweep finishes on
the remaining workers.
"""

import contextlib
import functools
import hashlib
import importlib
import json
import os
import time
from dataclasses import dataclass, field

from verify.io import atomic_write_bytes, atomic_write_text

__all__ = ["Task", "SweepError", "run_sweep", "worker_cached", "task_key", "local_cluster", "one_thread", "put_blob",
           "get_blob", "SharedCluster", "shared_cluster"]

#: Bumped when a task function's output changes meaning, so old store entries are not reused.
STORE_VERSION = 1


class SweepError(RuntimeError):
    """A sweep could not run (no scheduler, a task that raised); reported as one line.

    Parameters
    ----------
    message : str
        One line naming the scheduler or the failed task (its function and the first
        120 characters of its parameters) and the original error.

    Raises
    ------
    None
        Constructing the exception raises nothing; :func:`run_sweep` and
        :func:`execute` raise it.

    References
    ----------
    Python Library Reference, built-in exceptions (``RuntimeError``: "an error is
    detected that doesn't fall in any of the other categories").

    Examples
    --------
    >>> import tempfile
    >>> run_sweep([Task("no_colon", {})], tempfile.mkdtemp(), scheduler="serial")
    Traceback (most recent call last):
    ...
    verify.sweep.SweepError: task no_colon {} failed: SweepError: task function must be 'module:function', got 'no_colon'
    """


@dataclass(frozen=True)
class Task:
    """One independent unit of a sweep.

    Parameters
    ----------
    func : str
        The task function as ``"module:function"`` (importable on every worker).
    params : dict
        JSON-able keyword arguments of the function; they name the task.

    Raises
    ------
    None
        Nothing is checked on construction; a ``func`` that is not
        ``"module:function"`` fails when the task runs (:class:`SweepError`), and
        ``params`` that are not JSON-able fail in :meth:`key` (``TypeError``).

    References
    ----------
    Dask distributed documentation, "Futures" (``Client.submit(func, *args, key=...)``:
    a task is a function and its arguments, named by a key).

    Examples
    --------
    >>> t = Task("verify.sweep:_demo_square", {"n": 3})
    >>> execute(t.func, t.params)
    {'n': 3, 'square': 9}
    >>> t == Task("verify.sweep:_demo_square", {"n": 3})
    True
    """

    func: str
    params: dict = field(default_factory=dict)

    def key(self):
        """The task's content address, :func:`task_key` of its function and parameters.

        Returns
        -------
        str
            64 hexadecimal digits; equal tasks (same function, same parameters in any
            key order) have equal keys.

        Raises
        ------
        TypeError
            If ``params`` holds something JSON cannot encode (a numpy array, a set, ...).
        ValueError
            If ``params`` contains itself (circular reference).

        References
        ----------
        NIST FIPS 180-4, Secure Hash Standard (SHA-256).

        Examples
        --------
        >>> Task("m:f", {"a": 1, "b": 2}).key() == Task("m:f", {"b": 2, "a": 1}).key()
        True
        >>> len(Task("m:f").key())
        64
        """
        return task_key(self.func, self.params)


def task_key(func, params):
    """The content address of a task: sha256 of its function, parameters and the store version.

    The blob hashed is canonical JSON (sorted keys, no spaces, ASCII), so the key does
    not depend on the order of ``params`` or on the platform. Bumping
    :data:`STORE_VERSION` changes every key.

    Parameters
    ----------
    func : str
        The task function, ``"module:function"``.
    params : dict
        JSON-able keyword arguments.

    Returns
    -------
    str
        The sha256 hex digest (64 characters); results are stored as
        ``<store>/<key[:2]>/<key>.json``.

    Raises
    ------
    TypeError
        If ``params`` holds something JSON cannot encode (numpy arrays and scalars,
        sets, ...), or dict keys of mixed types that cannot be sorted.
    ValueError
        If ``params`` contains itself (circular reference).

    References
    ----------
    NIST FIPS 180-4, Secure Hash Standard (SHA-256); RFC 8259 (JSON).

    Examples
    --------
    >>> task_key("m:f", {"n": 1}) == task_key("m:f", {"n": 1})
    True
    >>> task_key("m:f", {"n": 1}) == task_key("m:f", {"n": 2})
    False
    """
    blob = json.dumps({"func": func, "params": params, "version": STORE_VERSION},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _resolve(func):
    module, _, name = func.partition(":")
    if not module or not name:
        raise SweepError(f"task function must be 'module:function', got {func!r}")
    return getattr(importlib.import_module(module), name)


#: The store of the sweep whose task this process is running (tasks that write blobs read it).
_RUNNING = {"store": None}


def execute(func, params, store=None):
    """Run one task (on a worker, or in-process for the serial path).

    Parameters
    ----------
    func : str
        The task function, ``"module:function"``; the module is imported here, so it
        must be importable where the task runs.
    params : dict
        Keyword arguments of the function.
    store : str or None
        The sweep's store, for :func:`put_blob` inside the task.

    Returns
    -------
    object
        What the function returns (JSON-able for a task function).

    Raises
    ------
    SweepError
        If ``func`` is not of the form ``"module:function"``.
    ImportError
        If the module cannot be imported (``ModuleNotFoundError``).
    AttributeError
        If the module has no such function.
    Exception
        Whatever the function raises (:func:`run_sweep` wraps it in a
        :class:`SweepError` naming the task).

    References
    ----------
    Python Library Reference, ``importlib.import_module``; Dask distributed
    documentation, "Futures" (the function a worker runs).

    Examples
    --------
    >>> execute("verify.sweep:_demo_square", {"n": 5})
    {'n': 5, 'square': 25}
    >>> execute("graphs.paths:path_count", {"n": 9, "i": 0, "num_layers": 3})
    55
    """
    previous, _RUNNING["store"] = _RUNNING["store"], store
    try:
        return _resolve(func)(**params)
    finally:
        _RUNNING["store"] = previous


def _blob_path(store, sha):
    return os.path.join(store, "blobs", sha[:2], sha)


def put_blob(data):
    """Keep ``data`` (bytes) in the running sweep's store under its sha256; returns the sha256.

    For task outputs too large for JSON (tensors): the task returns the sha256 in its
    result's ``"blobs"`` dict, and a stored result whose blob has gone is recomputed.
    Blobs are written atomically by the worker, so on a remote cluster the store must be
    on a filesystem the workers share.

    Parameters
    ----------
    data : bytes
        The blob (a safetensors file, say).

    Returns
    -------
    str
        Its sha256 (hex), the name under which :func:`get_blob` finds it.

    Raises
    ------
    SweepError
        Outside a task of :func:`run_sweep`.

    References
    ----------
    Content-addressed storage as in git's object store (an object is named by its hash).

    Examples
    --------
    >>> import tempfile
    >>> store = tempfile.mkdtemp()
    >>> sha = execute("verify.sweep:_demo_blob", {"text": "abc"}, store)
    >>> get_blob(store, sha)
    b'abc'
    >>> put_blob(b"abc")
    Traceback (most recent call last):
    ...
    verify.sweep.SweepError: put_blob: no sweep task is running in this process
    """
    store = _RUNNING["store"]
    if store is None:
        raise SweepError("put_blob: no sweep task is running in this process")
    sha = hashlib.sha256(data).hexdigest()
    if not os.path.isfile(_blob_path(store, sha)):
        atomic_write_bytes(_blob_path(store, sha), data)
    return sha


def get_blob(store, sha):
    """The bytes of blob ``sha``, checked against their sha256.

    Parameters
    ----------
    store : str
        The sweep's store directory.
    sha : str
        The blob's sha256, as :func:`put_blob` returned it.

    Returns
    -------
    bytes

    Raises
    ------
    SweepError
        A missing or damaged blob (naming it).

    References
    ----------
    Content-addressed storage as in git's object store (an object is named by its hash).

    Examples
    --------
    >>> import tempfile
    >>> get_blob(tempfile.mkdtemp(), "0" * 64)
    Traceback (most recent call last):
    ...
    verify.sweep.SweepError: blob 000000000000... of ... is unreadable (No such file or directory)
    """
    try:
        with open(_blob_path(store, sha), "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise SweepError(f"blob {sha[:12]}... of {store} is unreadable ({exc.strerror})") from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise SweepError(f"blob {sha[:12]}... of {store} is damaged (its sha256 differs); rerun the sweep")
    return data


def _store_path(store, key):
    return os.path.join(store, key[:2], key + ".json")


def _load_stored(store, key):
    try:
        with open(_store_path(store, key), encoding="utf-8") as fh:
            entry = json.load(fh)
    except (OSError, ValueError):
        return None  # missing or unreadable: recompute (never trust a damaged entry)
    result = entry.get("result") if isinstance(entry, dict) and entry.get("key") == key else None
    blobs = result.get("blobs") if isinstance(result, dict) else None
    if isinstance(blobs, dict) and not all(os.path.isfile(_blob_path(store, str(b))) for b in blobs.values()):
        return None  # a result whose blob has gone is recomputed
    return result


def _store(store, key, task, result):
    entry = {"key": key, "func": task.func, "params": task.params, "result": result}
    atomic_write_text(_store_path(store, key), json.dumps(entry, sort_keys=True) + "\n")


def worker_cached(maxsize=2):
    """Decorator: cache a loader's result per process (each Dask worker loads a model once).

    A Dask worker process keeps its module globals between tasks, so a least-recently
    used cache there lives as long as the worker: the first task that needs a model
    loads it, the next ones reuse it.

    Parameters
    ----------
    maxsize : int or None
        How many distinct loads each process keeps (the least recently used is
        dropped); None keeps all.

    Returns
    -------
    callable
        A decorator, ``functools.lru_cache(maxsize=maxsize)``; the decorated loader's
        arguments must be hashable.

    Raises
    ------
    TypeError
        If ``maxsize`` is neither an integer nor None (and, at call time, if the
        loader is called with unhashable arguments).

    References
    ----------
    Dask distributed documentation, "Worker" (a worker is a long-running Python
    process that runs many tasks); Python Library Reference, ``functools.lru_cache``.

    Examples
    --------
    >>> calls = []
    >>> @worker_cached()
    ... def load(name):
    ...     calls.append(name)
    ...     return name.upper()
    >>> load("a"), load("a"), len(calls)
    ('A', 'A', 1)
    """
    return functools.lru_cache(maxsize=maxsize)


@contextlib.contextmanager
def one_thread():
    """One BLAS thread and one torch thread inside the block (restored after it).

    A task's numbers must not depend on where it ran: a serial run in a process with
    several threads and a Dask worker would otherwise sum in different orders, and an
    fp32 distance of a few ulps changes with the order. Task functions wrap their
    arithmetic in this; Dask's nanny also starts workers with ``OMP_NUM_THREADS=1``.

    Yields
    ------
    None

    Raises
    ------
    Exception
        Whatever the block raises, after the thread counts are restored.

    References
    ----------
    threadpoolctl, ``threadpool_limits``; PyTorch, ``torch.set_num_threads``.

    Examples
    --------
    >>> with one_thread():
    ...     pass
    """
    import sys

    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")  # only if the task has imported it: never import torch here
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=1):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


def local_cluster(workers=2, memory_limit="auto"):
    """A ``dask.distributed.LocalCluster`` of ``workers`` processes with one thread each.

    One thread per worker process keeps BLAS from oversubscribing the cores; the logs
    are quiet (errors only), and the dashboard takes a free port (``":0"``): the
    default 8787 may belong to another cluster on the machine.

    Parameters
    ----------
    workers : int
        Worker processes.
    memory_limit : str, float or int
        Per-worker memory limit as Dask reads it (``"auto"``: the machine's memory
        divided among the workers; ``"2GB"``; 0 for none).

    Returns
    -------
    dask.distributed.LocalCluster
        A started cluster; use it as a context manager (or call ``close()``).

    Raises
    ------
    ImportError
        If ``dask.distributed`` is not installed.
    ValueError
        If ``memory_limit`` is a string Dask cannot parse (``"lots"``).

    References
    ----------
    Dask distributed documentation, ``distributed.LocalCluster`` (``n_workers``,
    ``threads_per_worker``, ``processes``, ``memory_limit``).

    Examples
    --------
    >>> with local_cluster(workers=1) as cluster:
    ...     len(cluster.workers)
    1
    """
    from dask.distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                        dashboard_address=":0", memory_limit=memory_limit, silence_logs=40)


def _start_local_cluster(workers):
    try:
        return local_cluster(workers)
    except RuntimeError as exc:  # e.g. a script without `if __name__ == "__main__":` (spawned workers)
        raise SweepError(f"the local Dask cluster did not start: {exc} (a script that runs a sweep needs "
                         "`if __name__ == \"__main__\":`)") from None


class SharedCluster:
    """A local Dask cluster that several sweeps share, started only when one has work to run.

    Give it as ``scheduler`` to :func:`run_sweep` (and to what calls it, such as
    ``verify.tasks.task_accuracy``): a sweep whose results are all stored never starts
    it, and the sweeps after the first reuse its workers and the models they loaded.
    Make one with :func:`shared_cluster`, which closes it.

    Parameters
    ----------
    workers : int
        Worker processes, once started.

    Attributes
    ----------
    started : bool
        Whether a sweep has needed the cluster yet.

    Raises
    ------
    SweepError
        From :attr:`address`, when the local cluster cannot start.

    References
    ----------
    Dask distributed documentation, ``distributed.LocalCluster`` and ``Client``.

    Examples
    --------
    >>> import tempfile
    >>> store = tempfile.mkdtemp()
    >>> _ = run_sweep([Task("verify.sweep:_demo_square", {"n": 2})], store, scheduler="serial")
    >>> with shared_cluster(workers=1) as shared:
    ...     run_sweep([Task("verify.sweep:_demo_square", {"n": 2})], store, scheduler=shared)
    ...     shared.started
    [{'n': 2, 'square': 4}]
    False
    """

    def __init__(self, workers=2):
        self.workers = workers
        self._cluster = None

    @property
    def started(self):
        return self._cluster is not None

    @property
    def address(self):
        """The scheduler's address, starting the cluster on first use.

        Returns
        -------
        str
            ``tcp://127.0.0.1:<port>``.

        Raises
        ------
        SweepError
            When the local cluster cannot start.

        References
        ----------
        Dask distributed documentation, ``LocalCluster.scheduler_address``.

        Examples
        --------
        >>> with shared_cluster(workers=1) as shared:
        ...     shared.address.startswith("tcp://"), shared.started
        (True, True)
        """
        if self._cluster is None:
            self._cluster = _start_local_cluster(self.workers)
        return self._cluster.scheduler_address

    def close(self):
        """Stop the cluster if it was started (a later sweep would start a new one).

        Returns
        -------
        None

        Raises
        ------
        Exception
            What Dask raises while closing the cluster.

        References
        ----------
        Dask distributed documentation, ``LocalCluster.close``.

        Examples
        --------
        >>> shared = SharedCluster(workers=1)
        >>> shared.close(), shared.started
        (None, False)
        """
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


@contextlib.contextmanager
def shared_cluster(scheduler=None, workers=2):
    """``scheduler`` as given, or for None a :class:`SharedCluster` closed at the end of the block.

    Parameters
    ----------
    scheduler : None, "serial" or str
        As :func:`run_sweep`; only None is replaced.
    workers : int
        Worker processes of the shared local cluster.

    Yields
    ------
    SharedCluster or str
        What to pass as ``scheduler`` to every sweep of the block.

    Raises
    ------
    Exception
        Whatever the block raises, after the cluster is closed.

    References
    ----------
    Dask distributed documentation, ``distributed.LocalCluster``.

    Examples
    --------
    >>> with shared_cluster("serial") as scheduler:
    ...     scheduler
    'serial'
    """
    if scheduler is not None:
        yield scheduler
        return
    shared = SharedCluster(workers)
    try:
        yield shared
    finally:
        shared.close()


@contextlib.contextmanager
def _client(scheduler, workers, timeout):
    from dask.distributed import Client

    if isinstance(scheduler, SharedCluster):
        with Client(scheduler.address) as client:
            yield client
        return
    if scheduler is None:
        with _start_local_cluster(workers) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise SweepError(f"--scheduler {scheduler}: no Dask scheduler answered within {timeout} s "
                         f"({type(exc).__name__})") from None
    with client:
        yield client


def run_sweep(tasks, store, scheduler=None, workers=2, timeout=10, progress=None, on_result=None):
    """Run ``tasks`` (reusing stored results); return their results in task order.

    Parameters
    ----------
    tasks : sequence of Task
    store : str
        Directory of the content-addressed results.
    scheduler : None, "serial", str or SharedCluster
        None: a local Dask cluster of ``workers`` processes; "serial": in this process,
        one task after another (the reference the parallel run must equal); a
        :class:`SharedCluster` (started here if a task is missing); otherwise the address
        of an existing Dask scheduler.
    workers : int
        Worker processes of the local cluster.
    timeout : float
        Seconds to wait for a remote scheduler before giving up.
    progress : callable, optional
        ``progress(done, total)`` after each task (stored ones count at once).
    on_result : callable, optional
        ``on_result(task, result)`` for every task as its result is available (stored
        ones first, then in completion order).

    Returns
    -------
    list
        One result per task, in the order of ``tasks``.

    Raises
    ------
    SweepError
        If a task is not a :class:`Task`, ``workers`` is not an integer >= 1, the
        scheduler does not answer within ``timeout``, or a task raises (the error
        names the task; the results finished before it are kept in the store).
    OSError
        If the store cannot be written.

    References
    ----------
    Dask distributed documentation: ``Client.submit`` and ``as_completed``
    (futures), ``LocalCluster``; dask-jobqueue documentation (clusters on Slurm and
    PBS, reached through ``scheduler="tcp://host:port"``).

    Examples
    --------
    >>> import tempfile
    >>> store = tempfile.mkdtemp()
    >>> tasks = [Task("verify.sweep:_demo_square", {"n": n}) for n in (3, 4, 3)]
    >>> run_sweep(tasks, store, scheduler="serial")
    [{'n': 3, 'square': 9}, {'n': 4, 'square': 16}, {'n': 3, 'square': 9}]
    >>> done = []
    >>> _ = run_sweep(tasks, store, scheduler="serial", progress=lambda d, t: done.append((d, t)))
    >>> done  # both distinct tasks were already stored: nothing ran
    [(2, 2)]
    """
    tasks = list(tasks)
    for t in tasks:
        if not isinstance(t, Task):
            raise SweepError(f"tasks must be Task objects, got {type(t).__name__}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SweepError(f"workers must be an integer >= 1, got {workers!r}")
    store = os.path.abspath(store)
    keys = [t.key() for t in tasks]
    results = {k: _load_stored(store, k) for k in dict.fromkeys(keys)}
    missing = {k: t for k, t in zip(keys, tasks, strict=True) if results[k] is None}
    total, done = len(results), len(results) - len(missing)
    if on_result:
        for k, t in zip(keys, tasks, strict=True):
            if k not in missing:
                on_result(t, results[k])
    if progress:
        progress(done, total)

    def finish(k, get):
        nonlocal done
        results[k] = _finish(store, k, missing[k], get)
        done += 1
        if on_result:
            on_result(missing[k], results[k])
        if progress:
            progress(done, total)

    if missing and scheduler == "serial":
        for k, t in missing.items():
            finish(k, functools.partial(execute, t.func, t.params, store))
    elif missing:
        from dask.distributed import as_completed

        with _client(scheduler, workers, timeout) as client:
            futures = {client.submit(execute, t.func, t.params, store, key=f"task-{k}", pure=False): k
                       for k, t in missing.items()}
            for fut in as_completed(futures):
                finish(futures[fut], fut.result)
    return [results[k] for k in keys]


def _finish(store, key, task, get):
    try:
        result = get()
    except Exception as exc:
        raise SweepError(f"task {task.func} {json.dumps(task.params, sort_keys=True)[:120]} failed: "
                         f"{type(exc).__name__}: {exc}") from None
    # Round-trip through JSON so that a fresh result and a stored one are the same object.
    result = json.loads(json.dumps(result))
    _store(store, key, task, result)
    return result


def _demo_square(n, delay=0.0):
    """A tiny task function for the tests and the benchmark: ``n**2`` after ``delay`` seconds."""
    time.sleep(delay)
    return {"n": n, "square": n * n}


def _demo_blob(text):
    """A task function that keeps ``text`` as a blob and returns its sha256 (docstring examples)."""
    return put_blob(text.encode())


def _demo_worker_pid(n):
    """A task function that reports which process ran it (tests of the worker model cache)."""
    return {"n": n, "pid": os.getpid(), "loads": _demo_load.cache_info().misses if _demo_load("m") else 0}


@worker_cached()
def _demo_load(name):
    return name
