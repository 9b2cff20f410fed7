"""The hot path's SQL, built by peewee once per database and then reused.

peewee builds every statement from its expression tree each time it runs; for
the few statements every email runs (store the message, queue the replies,
look up a Message-ID) that building costs ten to thirty times what SQLite
takes to execute them (measured: ~0.4 ms to build an INSERT of a message,
~0.02 ms to run it). So each of those statements is built by peewee the first
time, with its real parameters, and its SQL text is kept on the database
object it was built for (SQLite and PostgreSQL differ in placeholders and
RETURNING); later calls only compute the parameters, with the same field
converters peewee uses. The first build checks that our parameters equal
peewee's, so a change in peewee cannot silently misplace a value.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar, cast

import peewee as pw

M = TypeVar("M", bound=pw.Model)


def _cached(database: pw.Database, key: tuple, params: list[Any], build: Callable[[], pw.Query]) -> str:
    """The SQL for `key` on this database; built (and checked against `params`) on first use."""
    cache: dict[tuple, str] = vars(database).setdefault("_gateway_statements", {})
    sql = cache.get(key)
    if sql is None:
        sql, built = build().sql()
        if [_comparable(p) for p in built] != [_comparable(p) for p in params]:
            raise AssertionError(f"statement {key[:2]}: parameters differ from peewee's: {built!r} != {params!r}")
        cache[key] = sql
    return sql


def _comparable(param: Any) -> Any:
    """A bytes parameter as bytes: the drivers' wrappers (psycopg2.Binary) compare by identity."""
    adapted = getattr(param, "adapted", param)
    return bytes(adapted) if isinstance(adapted, (bytes, bytearray, memoryview)) else param


def _database(model: type[pw.Model]) -> pw.Database:
    database = model._meta.database
    return database.obj if isinstance(database, pw.DatabaseProxy) else database


def _primary_key(model: type[pw.Model]) -> pw.Field:
    key = model._meta.primary_key
    if key is False:
        raise TypeError(f"{model.__name__} has no primary key")
    return key


def _row(model: type[pw.Model], values: dict[str, Any]) -> dict[pw.Field, Any]:
    """Every column but an auto id, in peewee's order, defaults filled as Model.create would."""
    meta = model._meta
    row: dict[pw.Field, Any] = {}
    for field in meta.sorted_fields:
        if isinstance(field, pw.AutoField):
            continue
        if field.name in values:
            row[field] = values[field.name]
        elif field in meta.defaults:
            default = meta.defaults[field]
            row[field] = default() if callable(default) else default
        else:
            row[field] = None
    unknown = set(values) - {f.name for f in row}
    if unknown:
        raise TypeError(f"{model.__name__} has no columns {sorted(unknown)}")
    return row


def insert(model: type[pw.Model], **values: Any) -> int:
    """INSERT one row; its new id."""
    return insert_many(model, [values])[-1]


def insert_many(model: type[pw.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT rows one statement each (SQLite runs them in microseconds); their new ids."""
    database = _database(model)
    returning = bool(database.returning_clause)
    ids = []
    for values in rows:
        row = _row(model, values)
        fields = list(row)
        params = [field.db_value(value) for field, value in row.items()]

        def build() -> pw.Query:
            query = model.insert_many([tuple(row.values())], fields=fields)  # noqa: B023 (called before the loop moves on)
            return query.returning(model._meta.primary_key) if returning else query
        sql = _cached(database, ("insert", model.__name__, returning), params, build)
        cursor = database.execute_sql(sql, params)
        ids.append(cursor.fetchone()[0] if returning else cursor.lastrowid)
    return ids


def update(instance: pw.Model, fence: dict[str, Any] | None = None) -> int:
    """UPDATE every column of a loaded row (what Model.save() does, built once); with `fence`,
    only while the stored row still has those values (a claim token): the rows changed, 0 or 1."""
    model = type(instance)
    pk = _primary_key(model)
    data = instance.__data__  # a foreign key's raw id: getattr would fetch the related row
    row = {field: data.get(field.name) for field in model._meta.sorted_fields if field is not pk}
    guards = [(model._meta.fields[name], value) for name, value in sorted((fence or {}).items())]
    params = ([field.db_value(value) for field, value in row.items()] + [pk.db_value(instance.get_id())]
              + [field.db_value(value) for field, value in guards])

    def build() -> pw.Query:
        where = pk == instance.get_id()
        for field, value in guards:
            where &= field == value
        return model.update(row).where(where)
    database = _database(model)
    sql = _cached(database, ("update", model.__name__, tuple(f.name for f, _ in guards)), params, build)
    return database.execute_sql(sql, params).rowcount


def select(model: type[M], key: str, params: list[Any], build: Callable[[], pw.Query]) -> list[M]:
    """Rows of a SELECT that `build` makes from `params` (named by `key`), as model instances."""
    sql = _cached(_database(model), ("select", model.__name__, key, len(params)), params, build)
    return list(model.raw(sql, *params))


def tuples(model: type[pw.Model], key: str, params: list[Any], build: Callable[[], pw.Query]) -> list[tuple]:
    """The same as plain tuples of column values, for lookups that need no model object."""
    database = _database(model)
    sql = _cached(database, ("select", model.__name__, key, len(params)), params, build)
    return database.execute_sql(sql, params).fetchall()


# peewee's private attributes are read here only, so a peewee upgrade that renames them breaks
# this module and its tests, not the callers.

def insert_instance(instance: M) -> M:
    """INSERT an unsaved model instance (every column it holds); it gets its new id and is
    no longer "dirty", as after Model.save()."""
    new_id = insert(type(instance), **instance.__data__)
    setattr(instance, _primary_key(type(instance)).name, new_id)
    instance._dirty.clear()  # type: ignore[attr-defined]  # peewee's own set; it has no public clear
    return instance


def tuples_of(query: pw.BaseQuery) -> list[tuple[Any, ...]]:
    """The rows of `query.tuples()`: peewee's stubs type them as the query's model."""
    return cast(list[tuple[Any, ...]], list(query.tuples()))


def values_of(instance: pw.Model) -> dict[str, Any]:
    """The raw column values of a row (a foreign key as its id: nothing is fetched)."""
    return dict(instance.__data__)


def restore(instance: pw.Model, values: dict[str, Any]) -> None:
    """Put back column values taken with values_of (an update that did not happen)."""
    instance.__data__.update(values)


def fetched(instance: pw.Model, relation: str) -> bool:
    """Whether the related row `relation` is already loaded on `instance`."""
    return relation in instance.__rel__
