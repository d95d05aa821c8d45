"""The model DAG over the paths in batches: memory flat in the number of paths (issue 13, models/scope.py).

1. The plan models run once in the run's database.
2. Each batch of consecutive path ids is computed in its own in-memory database attached next to the
   run's: its noise and `path_range` are written there, the per-path models run there (reading the
   plan tables through the search path), and the tables kept whole are appended to the run's database
   (those an export reads across paths but the run does not keep go to a scratch database). The
   in-memory database is then detached, so a batch's working set is all the memory the paths take.
   A batch is a pure function of the plan, the inputs and its path range: the noise is keyed by
   coordinates ([RNG-2]) and no per-path model reads another path.
3. The models across paths run once on the appended tables. Right after the representative path is
   chosen, the per-path models run once more on that path alone and every per-path table not kept
   whole gets its rows in run.duckdb (the autoscaler and the report read them). A plan of one path skips
   that second batch: its one batch runs every per-path model and appends those rows too (`_one_path_alone`).
4. `finish_scratch`, after the exports and the report, keeps the representative path's rows of the
   scratch tables in run.duckdb and deletes the scratch database.

With `keep_every_path` every per-path table keeps every path in run.duckdb, noise included.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import comment_on, sql_identifier, transaction
from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.graph import Model
from d3_engine.models.header import ModelHeader, column_comment
from d3_engine.models.identities import stored_table
from d3_engine.models.runner import ModelRun, build_model, record_runs, without_final_order
from d3_engine.models.scope import (
    REPRESENTATIVE,
    SCRATCH_COLUMNS,
    split_by_scope,
    upstream_of,
)
from d3_engine.pipeline.appends import PATH_MONTH
from d3_engine.pipeline.databases import SCRATCH_DB, Databases, PathsPlan, search_path, split_batch_size, stop_point
from d3_engine.plan.draws import (
    TAPS,
    Batch,
    batches,
    comment_noise,
    report_jobs,
    write_batch_noise,
    write_path_range,
)

if TYPE_CHECKING:
    import duckdb

BATCH_DB = "d3_batch"
REP_OF_SCRATCH = "rep of scratch"  # where a scratch table's rows of the representative path wait (finish_scratch)
REP_ONLY_NOTE = " Representative path only [FIN-12]: run with --keep-path-tables to keep every path."


def run_plan(
    con: duckdb.DuckDBPyConnection,
    models: list[Model],
    variables: dict[str, Any],
    paths: PathsPlan,
    on_done: Callable[[ModelRun], None] | None = None,
) -> list[ModelRun]:
    """Every model of the run, the per-path ones batch by batch; returns the runs in DAG order.

    Raises:
        RuntimeFailure: a model fails or breaks its header (exit 3).
    """
    scoped = split_by_scope(models)
    paths.headers.update({h.name: h for m in scoped.path for h in m.tables})
    paths.unsorted.update(h.name for m in scoped.path if not _ends_sorted(m) for h in m.tables)
    dbs = Databases(con, paths)
    done: dict[str, ModelRun] = {}
    # The per-parameter-set models are independent pure functions too: up to `workers` at once, like the models
    # after the batches (their order of creation changes no byte; events and engine_models stay in DAG order).
    for name, run in run_concurrently(dbs, scoped.plan, variables, paths.workers):
        done[name] = _announce(run, on_done)
    if any(paths.destination(t) == "scratch" for t in scoped.path_tables()):
        dbs.attach_scratch()
    dbs.find_per_set_tables(set(scoped.path_tables()) | {table for _, table, _, _ in TAPS.values()})
    # A plan of one path is its own representative path: its one batch runs every per-path model and keeps the
    # representative rows too, the same tables the representative path's batch would compute again (a tenth of a
    # one-path run).
    alone = _one_path_alone(paths)
    batched = scoped.path if alone else _batched_models(scoped.path, paths)
    per_path: dict[str, list[ModelRun]] = {m.name: [] for m in batched}
    finished = 0
    try:
        for batch, computed in _computed_in_order(dbs, batched, variables, (False, True) if alone else (False,)):
            for name, run in computed.runs.items():
                per_path[name].append(run)
            finished += batch.stop - batch.start
            if paths.on_job is not None:
                report_jobs(paths.on_job, paths.plan, batch)
            if paths.on_batch is not None:
                paths.on_batch(finished, paths.plan.paths)
        dbs.appender.flush()  # the last, partly filled row group of each whole-run table
    finally:
        dbs.appender.close()
    for name, model_runs in per_path.items():
        done[name] = _announce(_merged(model_runs), on_done)
    write_path_range(con, Batch(0, paths.plan.paths))
    for model in scoped.across[: _through_representative(scoped.across)]:
        done[model.name] = _announce(build_model(con, model, variables), on_done)
        if model.name == REPRESENTATIVE and _has_rep_batch(paths):
            rep = int(con.execute(f"SELECT path_id FROM {REPRESENTATIVE}").fetchall()[0][0])
            if alone:  # its rows were kept by the plan's one batch
                if rep != 0:
                    raise RuntimeFailure(f"{REPRESENTATIVE} chose path {rep} of a plan of one path")
                continue
            computed = _compute_batch(dbs, scoped.path, variables, Batch(rep, rep + 1), f"{BATCH_DB}_rep", (True,))
            _publish(dbs, computed)
            for name, run in computed.runs.items():  # the models only the representative path needs
                if name not in done:
                    done[name] = _announce(run, on_done)
    rest = scoped.across[_through_representative(scoped.across) :]  # they may read the representative rows
    rows = {name: run.rows for name, run in done.items()}
    for name, run in run_concurrently(dbs, rest, variables, paths.workers, rows):
        done[name] = _announce(run, on_done)
    ordered = [done[m.name] for m in models]
    with transaction(con):  # one commit (core/db.transaction)
        record_runs(con, scoped.plan + scoped.across, ordered)
        _comment_path_tables(con, scoped.path, paths)
    return ordered


def _through_representative(across: list[Model]) -> int:
    """How many of the across-path models run one after the other: up to the representative path's model
    (whose batch the later ones may read), or none when the run has no such model."""
    names = [m.name for m in across]
    return names.index(REPRESENTATIVE) + 1 if REPRESENTATIVE in names else 0


def run_concurrently(
    dbs: Databases,
    models: list[Model],
    variables: dict[str, Any],
    workers: int,
    rows: dict[str, int] | None = None,
) -> Iterator[tuple[str, ModelRun]]:
    """Build `models` (in DAG order) with up to `workers` at once, each on its own connection, a model as soon
    as every model it reads is built; yields (name, run) in DAG order. The models are independent pure
    functions of their inputs, so the order they run in changes no byte (the series models, the capacity
    plan and the sensitivity table take most of the time after the batches, one core each).

    `rows`: rows of the tables already built; of the models ready at once, the one reading most rows starts
    first (the longest last would leave a core idle at the end)."""
    names = {m.name for m in models}
    rows = rows or {}
    slots = max(1, workers)
    waiting = sorted(models, key=lambda m: -sum(rows.get(d, 0) for d in m.deps))  # stable: then DAG order
    built: dict[str, ModelRun] = {}
    running: dict[Future[ModelRun], tuple[str, duckdb.DuckDBPyConnection]] = {}
    opened: list[duckdb.DuckDBPyConnection] = []  # every cursor not yet closed, tracked before its model starts
    next_out = 0
    pool = ThreadPoolExecutor(max_workers=slots)
    try:
        while waiting or running:
            for model in [m for m in waiting if _ready(m, names, built)][: slots - len(running)]:
                waiting.remove(model)
                opened.append(cursor := dbs.con.cursor())
                search_path(cursor, *dbs.catalogs)
                running[pool.submit(build_model, cursor, model, variables)] = (model.name, cursor)
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                name, cursor = running.pop(future)
                opened.remove(cursor)
                cursor.close()
                built[name] = future.result()
            while next_out < len(models) and models[next_out].name in built:
                yield models[next_out].name, built[models[next_out].name]
                next_out += 1
    except BaseException:
        for future in running:
            future.cancel()
        for cursor in opened:  # also a model submitted as the signal came, before `running` knew it
            cursor.interrupt()  # a running query stops with an error its worker raises
        raise
    finally:
        pool.shutdown(wait=True)  # the interrupted models end before their connections close
        for cursor in opened:
            cursor.close()


def _ready(model: Model, names: set[str], built: dict[str, ModelRun]) -> bool:
    return all(d in built for d in model.deps if d in names)


def _has_rep_batch(paths: PathsPlan) -> bool:
    """Whether the per-path models run once more on the representative path alone (a normal run)."""
    return not paths.keep_every_path and paths.keep_only is None


def _one_path_alone(paths: PathsPlan) -> bool:
    """Whether the plan is one path with a representative batch: that path's one batch keeps its rows too."""
    return _has_rep_batch(paths) and paths.plan.paths == 1


def _batched_models(models: list[Model], paths: PathsPlan) -> list[Model]:
    """The per-path models every batch runs: those the tables a batch appends need. The others
    (e.g. public_model_month, whose rows no export reads across paths) run in the representative
    path's batch only; without that batch every per-path model runs in every batch."""
    if not _has_rep_batch(paths):
        return models
    appended = frozenset(t.name for m in models for t in m.tables if paths.destination(t.name) is not None)
    return upstream_of(models, appended)


def _announce(run: ModelRun, on_done: Callable[[ModelRun], None] | None) -> ModelRun:
    if on_done is not None:
        on_done(run)
    return run


def _merged(runs: list[ModelRun]) -> ModelRun:
    """One model's batches as one run: rows and times summed; the rendered text is the same in every batch."""
    return replace(
        runs[0],
        rows=sum(r.rows for r in runs),
        ms=sum(r.ms for r in runs),
        contract_ms=sum(r.contract_ms for r in runs),
    )


@dataclass
class _Computed:
    """A batch computed in its in-memory database `slot`, waiting to be appended in path order."""

    slot: str
    cursor: duckdb.DuckDBPyConnection
    runs: dict[str, ModelRun]
    publish: list[tuple[str, str]]  # (table, where) in creation order


def _computed_in_order(
    dbs: Databases, models: list[Model], variables: dict[str, Any], keeps: tuple[bool, ...]
) -> Iterator[tuple[Batch, _Computed]]:
    """Every batch computed by `workers` threads at once (each its own connection and database), appended to
    the run in batch order, so the tables' row order does not depend on the workers ([RNG-7]). `keeps`: see
    `_compute_batch`."""
    paths = dbs.paths
    size = split_batch_size(paths.plan, paths.batch_size, paths.workers)
    todo = list(batches(paths.plan.paths, size))
    workers = max(1, min(paths.workers, len(todo)))
    pending: deque[tuple[Batch, Future[_Computed]]] = deque()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        try:
            for index, batch in enumerate(todo):
                # one batch more than workers is submitted, so a worker that finishes starts the next batch at
                # once while this thread appends an earlier one (with `>= workers` one worker waited for every
                # append: the cores were 12 % idle at 100k). Batch `index` is submitted once batch
                # `index − workers − 1`, whose slot it takes, is appended and its database closed.
                slot = f"{BATCH_DB}_{index % (workers + 1)}"
                pending.append((batch, pool.submit(_compute_batch, dbs, models, variables, batch, slot, keeps)))
                if len(pending) > workers:
                    yield _published(dbs, *pending.popleft())
            while pending:
                yield _published(dbs, *pending.popleft())
        except BaseException:
            _abandon(dbs, pending)
            raise


def _published(dbs: Databases, batch: Batch, future: Future[_Computed]) -> tuple[Batch, _Computed]:
    computed = future.result()
    _publish(dbs, computed)
    return batch, computed


def _abandon(dbs: Databases, pending: deque[tuple[Batch, Future[_Computed]]]) -> None:
    """Stop the batches still running (a failure or an interrupt) and drop their databases."""
    for _, future in pending:
        future.cancel()
    for cursor in list(dbs.active):
        cursor.interrupt()  # a running query stops with an error its worker raises
    for _, future in pending:
        try:
            computed = future.result()
        except BaseException:
            continue
        dbs.close_batch(computed.cursor, computed.slot)


def _compute_batch(
    dbs: Databases,
    models: list[Model],
    variables: dict[str, Any],
    batch: Batch,
    slot: str,
    keeps: tuple[bool, ...],
) -> _Computed:
    """The per-path models of one batch in the fresh in-memory database `slot` (run on a worker thread).

    Tables nobody appends are dropped after their last reader, so a batch holds only live tables.
    `keeps`: what the batch appends, `_to_publish`'s `rep` for each: (False,) the whole-run tables, (True,) the
    tables only the representative path keeps (noise included; the batch is that path alone), (False, True) both
    (a plan of one path).
    """
    paths = dbs.paths
    cursor = dbs.open_batch(slot)
    try:
        dbs.scope_batch(cursor, slot, batch)
        write_batch_noise(cursor, paths.seed, paths.plan, paths.pipelines, batch)
        noise = [TAPS[p][1] for p in paths.pipelines if p in TAPS]
        publish = _kept_by(keeps, noise, paths)
        last_use = _last_use(models)
        runs = {}
        for model in models:
            kept = _kept_by(keeps, [t.name for t in model.tables], paths)
            runs[model.name] = build_model(cursor, model, variables, unordered=_order_unseen(model, kept))
            publish += kept
            published = {table for table, _ in publish}
            for table in [n for n, last in last_use.items() if last == model.name and n not in published]:
                cursor.execute(f"DROP TABLE {slot}.main.{sql_identifier(table)}")
            stop_point(paths.stop)
    except BaseException:
        dbs.close_batch(cursor, slot)
        raise
    return _Computed(slot, cursor, runs, publish)


def _ends_sorted(model: Model) -> bool:
    """Whether the model's rows come in grain order: a SQL model ending with its ORDER BY, or a Python model
    (they write sorted columns)."""
    return model.python is not None or without_final_order(model.source.strip()) != model.source.strip()


def _order_unseen(model: Model, kept: list[tuple[str, str]]) -> bool:
    """Whether no one sees the row order of the model's tables in this batch, so its final sort can be skipped:
    each table is either appended nowhere (only later models of the batch read it, and none of them depends on
    the order of its rows: DuckDB's parallel plans never promised one) or appended to a whole-run table of path
    × month rows, whose places the appender computes from the keys (pipeline/appends.py)."""
    grains = {t.name: t.grain for t in model.tables}
    return all(where == "home" and grains[table] == PATH_MONTH for table, where in kept)


def _kept_by(keeps: tuple[bool, ...], tables: list[str], paths: PathsPlan) -> list[tuple[str, str]]:
    """`_to_publish` for each of a batch's `keeps` (see `_compute_batch`), in that order."""
    return [kept for rep in keeps for kept in _to_publish(tables, paths, rep)]


def _to_publish(tables: list[str], paths: PathsPlan, rep: bool) -> list[tuple[str, str]]:
    """Where a batch's tables are appended: the whole-run tables on a normal batch, the rest on the
    representative path's (which also keeps its rows of the scratch tables, under a name of their own while the
    scratch database is attached)."""
    out = []
    for table in tables:
        where = paths.destination(table)
        if rep and where is None:
            out.append((table, "rep"))
        elif rep and where == "scratch":  # kept by finish_scratch in place of the scratch table
            out.append((table, REP_OF_SCRATCH))
        elif not rep and where is not None:
            out.append((table, where))
    return out


def _publish(dbs: Databases, computed: _Computed) -> None:
    """Append a computed batch's tables to the run (or scratch) database, then drop its database."""
    # The representative path's own batch writes the run's database only: one commit (core/db.transaction). A
    # transaction writes one attached database only, so the other batches (run, carry, scratch; and the one batch
    # of a one-path plan, which also appends its representative rows) commit per table.
    rep_only = all(where in ("rep", REP_OF_SCRATCH) for _, where in computed.publish)
    try:
        with transaction(dbs.con) if rep_only else nullcontext():
            for table, where in computed.publish:
                _copy(dbs, computed.slot, table, where)
    finally:
        dbs.close_batch(computed.cursor, computed.slot)


def _last_use(models: list[Model]) -> dict[str, str]:
    """Per-path table -> the last per-path model of the batch that reads it (its own model when none does)."""
    last = {t.name: m.name for m in models for t in m.tables}
    for model in models:
        for dep in model.deps:
            if dep in last:
                last[dep] = model.name
    return last


def _copy(dbs: Databases, slot: str, table: str, where: str) -> None:
    target = f"{sql_identifier(dbs.catalog(where))}.main.{sql_identifier(table)}"
    source = f"{slot}.main.{sql_identifier(table)}"
    if where == REP_OF_SCRATCH:  # not under its own name yet: it would hide the scratch table from the readers
        staged = f"{sql_identifier(dbs.home)}.main.{sql_identifier(_rep_of_scratch(table))}"
        dbs.con.execute(f"CREATE OR REPLACE TABLE {staged} AS SELECT * FROM {source} ORDER BY ALL")
        return
    if where == "home":  # a whole-run table of run.duckdb: appended in whole row groups (pipeline/appends.py)
        dbs.appender.append(source, target, table, dbs.paths.headers.get(table), table not in dbs.paths.unsorted)
        dbs.paths.tables[table] = where
    elif table in dbs.paths.tables:
        dbs.con.execute(f"INSERT INTO {target} SELECT {_scratch_columns(table, where)} FROM {source}")
    else:  # the representative path's rows (one path: ORDER BY ALL makes their order total at no cost)
        order = " ORDER BY ALL" if where == "rep" else ""
        dbs.con.execute(
            f"CREATE OR REPLACE TABLE {target} AS SELECT {_scratch_columns(table, where)} FROM {source}{order}"
        )
        dbs.paths.tables[table] = where


def _scratch_columns(table: str, where: str) -> str:
    """The select list of a batch's rows of `table` appended to `where`: a scratch table keeps the columns its
    readers across paths use (SCRATCH_COLUMNS), anything else every column."""
    columns = SCRATCH_COLUMNS.get(table) if where == "scratch" else None
    return "*" if columns is None else ", ".join(sql_identifier(c) for c in columns)


def _comment_path_tables(con: duckdb.DuckDBPyConnection, models: list[Model], paths: PathsPlan) -> None:
    """COMMENT the per-path tables in the run's own database (their headers' text) and the noise kept."""
    for tap in TAPS.values():
        where = paths.tables.get(tap[1])
        if where in ("home", "rep"):
            comment_noise(con, tap[1], REP_ONLY_NOTE if where == "rep" else "")
    for model in models:
        for header in model.tables:
            where = paths.tables.get(header.name)
            if where in ("home", "rep"):
                note = REP_ONLY_NOTE if where == "rep" else ""
                columns = {c.name: column_comment(c) + _virtual_note(header, c.name, where) for c in header.columns}
                comment_on(con, header.name, header.comment() + note, columns)
            if where == "home" and header.virtual:  # the view's stored columns (pipeline/appends.py)
                stored = {c.name: column_comment(c) for c in header.columns if c.name not in header.virtual}
                comment_on(con, stored_table(header.name), _stored_note(header), stored)


def _virtual_note(header: ModelHeader, column: str, where: str) -> str:
    """What a virtual column's COMMENT adds: the expression it is computed from when read (pipeline/appends.py)."""
    if where != "home" or column not in header.virtual:
        return ""
    return f" (virtual column, computed when read: {header.virtual[column]})"


def _stored_note(header: ModelHeader) -> str:
    """The COMMENT of the table that stores a view's columns other than its identities."""
    return (
        f"The stored columns of {header.name} (every path). {header.name} is a view over this table that adds "
        f"{len(header.virtual)} accounting identities computed when read ({', '.join(header.virtual)}): "
        f"query {header.name}."
    )


def _rep_of_scratch(table: str) -> str:
    return f"_d3_rep_{table}"


def finish_scratch(
    con: duckdb.DuckDBPyConnection, models: list[Model], paths: PathsPlan, rep_path_id: int | None
) -> None:
    """Detach and delete the scratch database; in run.duckdb each scratch table becomes the representative
    path's rows of it, which the representative path's batch computed (none when `rep_path_id` is None).

    Those rows are the scratch table's rows of that path: a batch is a pure function of its path range, and
    both are in ORDER BY ALL order, so no scan of the whole scratch table is needed (at 1 M paths it held
    over 100 M rows). Call it once every reader of the whole tables (the checks, the exports) is done.
    """
    attached = {str(r[0]) for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}
    if SCRATCH_DB not in attached:
        return
    home = str(con.execute("SELECT current_database()").fetchall()[0][0])
    staged = [t for t, where in paths.tables.items() if where == "scratch"]
    search_path(con, home)
    scratch_tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY table_name", [SCRATCH_DB]
    ).fetchall()
    # dropped first (one commit), so the detach has nothing to checkpoint into a file deleted next (3 s at 100k)
    with transaction(con):
        for (table,) in scratch_tables:
            con.execute(f"DROP TABLE {SCRATCH_DB}.main.{sql_identifier(str(table))}")
    con.execute(f"DETACH {SCRATCH_DB}")
    kept = staged if rep_path_id is not None else []
    with transaction(con):  # one commit (core/db.transaction)
        for table in staged:
            staged_name = f"{sql_identifier(home)}.main.{sql_identifier(_rep_of_scratch(table))}"
            if table in kept:
                con.execute(f"ALTER TABLE {staged_name} RENAME TO {sql_identifier(table)}")
                paths.tables[table] = "rep"
            else:
                con.execute(f"DROP TABLE IF EXISTS {staged_name}")
        headers = [h for m in models for h in m.tables if h.name in kept]
        for header in headers:
            columns = {c.name: column_comment(c) for c in header.columns}
            comment_on(con, header.name, header.comment() + REP_ONLY_NOTE, columns)
    for leftover in (paths.scratch_file, paths.scratch_file.with_name(paths.scratch_file.name + ".wal")):
        leftover.unlink(missing_ok=True)
