"""The Alembic history builds the whole schema on SQLite and PostgreSQL, and only moves forward."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from luna.adapters.sql.database import SqlDatabase
from luna.adapters.sql.migrate import alembic_config, compares_with_schema, head_revision, migrations_dir
from luna.adapters.sql.tables import metadata
from tests.contracts.sql_support import BACKENDS, scratch_postgres_database, sqlite_url

COLUMNS = {
    "users": {"user_id", "external_id", "created_at"},
    "items": {"item_id", "kind", "source", "title", "tags", "url", "sha256", "version", "created_at"}
    | {"status", "updated_at", "archived_at", "added_by", "added_via"},
    "item_chunks": {"chunk_id", "item_id", "chunk_idx", "text", "qdrant_id", "metadata", "created_at"},
    "events": {"event_id", "user_id", "ts", "type", "item_id", "chunk_id", "meta"},
    "smart_meter_readings": {"meter_id", "ts", "consumption_kw", "production_kw", "voltage", "quality"}
    | {"register_kwh"},
    "market_prices": {"market", "product", "ts", "price_eur_mwh", "volume"},
    "labels": {"user_id", "item_id", "ts", "reward", "reason", "chunk_id", "feedback_id"},
    "mv_events_daily": {"day", "type", "cnt"},
    "jobs": {"job_id", "name", "status", "params", "progress", "message", "error", "result", "attempts"}
    | {"created_by", "worker", "created_at", "started_at", "finished_at", "heartbeat_at", "cancel_requested"},
    "consent": {"user_id", "granted", "scope", "ts"},
    "audit_log": {"audit_id", "ts", "actor", "action", "target", "details"},
    "meters": {"meter_id", "kind", "has_pv", "pv_kwp", "annual_kwh", "interval_s", "source"}
    | {"first_ts", "last_ts", "last_register_kwh", "created_at", "updated_at"},
    **{
        f"meter_rollup_{level}": {"meter_id", "ts", "readings", "missing"}
        | {"consumption_kw_sum", "consumption_kw_min", "consumption_kw_max"}
        | {"production_kw_sum", "production_kw_count", "production_kw_max"}
        | {"voltage_sum", "voltage_count", "voltage_min", "voltage_max", "consumption_kwh", "production_kwh"}
        for level in ("15m", "1h", "1d")
    },
    **{
        f"price_rollup_{level}": {"market", "product", "ts", "periods", "price_eur_mwh_sum"}
        | {"price_eur_mwh_count", "price_eur_mwh_min", "price_eur_mwh_max", "volume"}
        for level in ("15m", "1h", "1d")
    },
    "feed_files": {"key", "sha256", "kind", "status", "rows_ok", "rows_bad", "report", "imported_at"},
    "rag_feedback": {"feedback_id", "user_id", "ts", "question", "answer", "useful", "notes", "chunks_used"},
    "score_versions": {"version", "computed_at", "as_of", "actor", "job_id", "inputs_sha256", "chunks"}
    | {"items", "params"},
    "scores": {"version", "target", "target_id", "popularity", "quality", "events", "positives", "negatives"},
    "user_meters": {"user_id", "meter_id", "created_at"},
    "help_texts": {"route", "model_version", "text", "sources", "created_at"},
    "finetune_adapters": {"name", "version", "state", "created_at", "base_model", "dataset", "run_id"}
    | {"blob_prefix", "metrics", "gates", "promoted_at", "note"},
    "finetune_reviews": {"review_id", "name", "version", "pair_index", "reviewer", "vote", "comment"}
    | {"created_at"},
    "prompt_versions": {"version", "text", "sha256", "author", "created_at", "note", "active"},
}
PRIMARY_KEYS = {
    "users": ["user_id"],
    "items": ["item_id"],
    "item_chunks": ["chunk_id"],
    "events": ["event_id", "ts"],
    "smart_meter_readings": ["meter_id", "ts"],
    "market_prices": ["market", "product", "ts"],
    "labels": ["user_id", "item_id", "ts"],
    "jobs": ["job_id"],
    "consent": ["user_id", "ts"],
    "audit_log": ["audit_id"],
    "meters": ["meter_id"],
    **{f"meter_rollup_{level}": ["meter_id", "ts"] for level in ("15m", "1h", "1d")},
    **{f"price_rollup_{level}": ["market", "product", "ts"] for level in ("15m", "1h", "1d")},
    "feed_files": ["key"],
    "rag_feedback": ["feedback_id"],
    "score_versions": ["version"],
    "scores": ["version", "target", "target_id"],
    "user_meters": ["user_id", "meter_id"],
    "help_texts": ["route", "model_version"],
    "finetune_adapters": ["name", "version"],
    "finetune_reviews": ["review_id"],
    "prompt_versions": ["version"],
}
INDEXES = {
    "items": {"idx_items_sha"},
    "item_chunks": {"idx_chunks_item"},
    "events": {"idx_events_user_ts", "ix_events_chunk_ts", "ix_events_type_ts"},
    "labels": {"ix_labels_feedback_id"},
    "rag_feedback": {"ix_rag_feedback_user_ts", "ix_rag_feedback_ts"},
    "mv_events_daily": {"ux_mv_events_daily_day_type", "idx_mv_events_daily_day"},
    "jobs": {"ix_jobs_status_created_at", "ix_jobs_name"},
    "audit_log": {"ix_audit_log_ts"},
    "meters": {"ix_meters_kind"},
    "meter_rollup_1d": {"ix_meter_rollup_1d_ts"},
    "finetune_adapters": {"ix_finetune_adapters_name_state"},
    "finetune_reviews": {"ix_finetune_reviews_name_version"},
    "prompt_versions": {"ux_prompt_versions_active"},
}
POSTGRESQL_ONLY_INDEXES = {"items": {"idx_items_tags"}}


@pytest.fixture(scope="module", params=BACKENDS)
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlDatabase]:
    if request.param == "sqlite":
        database = SqlDatabase(sqlite_url(tmp_path_factory.mktemp("sqlite")), pool_size=1, echo=False)
        database.upgrade()
        yield database
        database.close()
        return
    with scratch_postgres_database(request.getfixturevalue("postgres_url")) as url:
        database = SqlDatabase(url, pool_size=1, echo=False)
        database.upgrade()
        yield database
        database.close()


@pytest.fixture
def inspector(migrated: SqlDatabase) -> Iterator[sa.Inspector]:
    with migrated.engine.connect() as connection:
        yield sa.inspect(connection)


def relation_names(inspector: sa.Inspector) -> set[str]:
    names = set(inspector.get_table_names())
    if inspector.dialect.name == "postgresql":
        names |= set(inspector.get_materialized_view_names())
    return names


def test_every_table_exists(inspector: sa.Inspector) -> None:
    assert set(COLUMNS) <= relation_names(inspector)


def test_mv_events_daily_is_a_materialized_view_on_postgresql_and_a_table_on_sqlite(
    inspector: sa.Inspector,
) -> None:
    if inspector.dialect.name == "postgresql":
        assert inspector.get_materialized_view_names() == ["mv_events_daily"]
        assert "mv_events_daily" not in inspector.get_table_names()
    else:
        assert "mv_events_daily" in inspector.get_table_names()


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_every_column_exists(inspector: sa.Inspector, table: str) -> None:
    assert {column["name"] for column in inspector.get_columns(table)} == COLUMNS[table]


@pytest.mark.parametrize("table", sorted(PRIMARY_KEYS))
def test_primary_keys(inspector: sa.Inspector, table: str) -> None:
    assert inspector.get_pk_constraint(table)["constrained_columns"] == PRIMARY_KEYS[table]


def test_every_index_exists(inspector: sa.Inspector) -> None:
    expected = {table: set(names) for table, names in INDEXES.items()}
    if inspector.dialect.name == "postgresql":
        for table, names in POSTGRESQL_ONLY_INDEXES.items():
            expected[table] |= names
    found = {table: {index["name"] for index in inspector.get_indexes(table)} for table in expected}
    assert all(expected[table] <= found[table] for table in expected), (expected, found)


def test_the_rollup_has_a_unique_day_and_type(inspector: sa.Inspector) -> None:
    unique = [index for index in inspector.get_indexes("mv_events_daily") if index["unique"]]
    assert [index["column_names"] for index in unique] == [["day", "type"]]


def test_core_tables_match_the_migrated_schema(migrated: SqlDatabase) -> None:
    """The repositories query ``tables.py``; it must describe what the migrations built."""
    with migrated.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": compares_with_schema(migrated.dialect)}
        )
        assert compare_metadata(context, metadata) == []


def test_upgrading_again_changes_nothing(migrated: SqlDatabase) -> None:
    assert migrated.upgrade() == head_revision()
    assert migrated.current_revision() == head_revision()


def test_migrations_only_move_forward(migrated: SqlDatabase) -> None:
    with pytest.raises(NotImplementedError, match="forward"), migrated.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")

    assert migrated.current_revision() == head_revision()


def test_the_history_has_one_head_and_no_branches() -> None:
    script = ScriptDirectory.from_config(Config(str(migrations_dir() / "alembic.ini")))

    assert script.get_heads() == [head_revision()]
    assert all(isinstance(rev.down_revision, str | None) for rev in script.walk_revisions())


def test_the_alembic_command_line_migrates_the_database_it_is_given(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    cli = Config(str(migrations_dir() / "alembic.ini"), cmd_opts=argparse.Namespace(x=[f"url={url}"]))

    command.upgrade(cli, "head")

    database = SqlDatabase(url, pool_size=1, echo=False)
    try:
        assert database.current_revision() == head_revision()
    finally:
        database.close()
