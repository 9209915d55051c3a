"""The short build summary printed after `make run`: rows per layer, ledger, tiers, truth recovery."""

from __future__ import annotations

from pathlib import Path

import duckdb

from livetier import PROJECT_ROOT
from livetier.publish import set_search_path
from livetier.rawcheck import RAW_COLUMNS

FAMILIES = ("value_tier", "lifecycle_stage", "spend_tier", "rfm_segment")


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_catalog = current_database() "
        "and table_schema not in ('raw', 'semantic')"
    ).fetchall()
    return {r[0] for r in rows}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f'select count(*) from "{table}"').fetchone()[0]


def ledger_totals(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, int, int]]:
    """(raw_table, read, kept, set_aside, duplicate) per raw table."""
    return con.execute(
        """
        select
            raw_table,
            sum(row_count) as read,
            sum(row_count) filter (where outcome = 'kept') as kept,
            coalesce(sum(row_count) filter (where outcome = 'set_aside'), 0) as set_aside,
            coalesce(sum(row_count) filter (where outcome = 'duplicate'), 0) as duplicate
        from data_quality_ledger
        group by raw_table
        order by raw_table
        """
    ).fetchall()


def _located(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """`"schema"."table"` of the first schema holding `table` (main first), or None."""
    row = con.execute(
        "select table_schema from information_schema.tables where table_name = ? "
        "order by table_schema <> 'main', table_schema limit 1",
        [table],
    ).fetchone()
    return None if row is None else f'"{row[0]}"."{table}"'


def set_aside_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One warning line per raw table whose set-aside share (set aside / read) exceeds the seed bound
    `max_set_aside_share` (table `quality_bounds`), naming its top 3 reasons with their counts; none
    when either table is missing."""
    bounds, ledger = _located(con, "quality_bounds"), _located(con, "data_quality_ledger")
    if bounds is None or ledger is None:
        return []
    rows = con.execute(
        f"""
        with bound as (
            select cast(bound_value as decimal(18, 6)) as max_share
            from {bounds}
            where bound_name = 'max_set_aside_share'
        ),
        totals as (
            select
                raw_table,
                sum(row_count) as read,
                coalesce(sum(row_count) filter (where outcome = 'set_aside'), 0) as set_aside
            from {ledger}
            group by raw_table
        ),
        reasons as (
            select
                raw_table,
                string_agg(reason || ' ' || cast(row_count as varchar), ', ' order by row_count desc, reason)
                    filter (where reason_rank <= 3) as top_reasons
            from (
                select
                    raw_table,
                    reason,
                    row_count,
                    row_number() over (partition by raw_table order by row_count desc, reason) as reason_rank
                from {ledger}
                where outcome = 'set_aside'
            )
            group by raw_table
        )
        select totals.raw_table, totals.read, totals.set_aside, bound.max_share, reasons.top_reasons
        from totals
        cross join bound
        left join reasons on totals.raw_table = reasons.raw_table
        where totals.set_aside > bound.max_share * totals.read
        order by totals.raw_table
        """
    ).fetchall()
    return [
        f"warning: {table}: {aside:,} of {read:,} rows read were set aside ({aside / read:.1%}), more than "
        f"max_set_aside_share {float(share):.1%} (seeds/quality_bounds.csv); top reasons: {reasons}."
        for table, read, aside, share, reasons in rows
    ]


def _shared_ids() -> dict[str, tuple[str, ...]]:
    """The ids that tables share (an `_id` column of two or more of the contract's tables), with the
    tables holding each: order_id, user_id, stream_id and product_id."""
    holders: dict[str, list[str]] = {}
    for table, columns in RAW_COLUMNS.items():
        for column in columns:
            if column.endswith("_id"):
                holders.setdefault(column, []).append(table)
    return {column: tuple(tables) for column, tables in holders.items() if len(tables) > 1}


SHARED_IDS = _shared_ids()


def float_id_warnings(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One warning line per table and shared id column whose kept ids include another table's ids
    with `.0` (or `.00`...) after them, as a dataframe writes integer ids it stored as floats (a
    column with a missing value): the contract reads ids as text, so `16128.0` is not `16128` and
    the rows do not meet (another user, stream, product or order). Read from the staging models;
    none for a model that is missing."""
    lines = []
    for column, tables in SHARED_IDS.items():
        located = {table: _located(con, f"stg_live__{table}") for table in tables}
        present = {table: name for table, name in located.items() if name is not None}
        if len(present) < 2:
            continue
        ids = " union all ".join(
            f"select distinct '{table}' as raw_table, {column} as id from {name} where {column} is not null"
            for table, name in present.items())
        rows = con.execute(
            f"""
            with ids as ({ids}),
            floats as (
                select raw_table, id, regexp_extract(id, '^(-?[0-9]+)[.]0+$', 1) as integer_text
                from ids
                where regexp_full_match(id, '-?[0-9]+[.]0+')
            )
            select
                floats.raw_table,
                count(distinct floats.id) as ids,
                string_agg(distinct others.raw_table, ', ' order by others.raw_table) as other_tables
            from floats
            inner join ids as others
                on floats.integer_text = others.id and floats.raw_table <> others.raw_table
            group by floats.raw_table
            order by floats.raw_table
            """
        ).fetchall()
        lines += [
            f"warning: {table}.{column}: {count:,} {'id is an id' if count == 1 else 'ids are ids'} of {others} "
            "with '.0' added (as a dataframe writes integer ids it stored as floats): ids are text, so those "
            f"rows do not meet the rows of {others}; write the ids as integers or text."
            for table, count, others in rows
        ]
    return lines


def truth_recovery(con: duckdb.DuckDBPyConnection, truth: Path) -> list[tuple]:
    """Share of each true (simulated) behaviour type landing in each value tier / lifecycle stage."""
    return con.execute(
        f"""
        with truth as (select * from read_parquet('{truth.as_posix()}')),
        joined as (
            select truth.latent_type, tiers.value_tier, tiers.lifecycle_stage
            from truth
            inner join user_tiers as tiers on truth.user_id = tiers.user_id
        )
        select
            latent_type,
            count(*) as users,
            round(avg(case when value_tier = 'core_fan' then 1 else 0 end), 3) as core_fan,
            round(avg(case when value_tier = 'potential' then 1 else 0 end), 3) as potential,
            round(avg(case when value_tier = 'new_visitor' then 1 else 0 end), 3) as new_visitor,
            round(avg(case when value_tier = 'regular' then 1 else 0 end), 3) as regular,
            round(avg(case when value_tier = 'casual' then 1 else 0 end), 3) as casual,
            round(avg(case when lifecycle_stage = 'churned' then 1 else 0 end), 3) as churned,
            round(avg(case when lifecycle_stage = 'reactivated' then 1 else 0 end), 3) as reactivated
        from joined
        group by latent_type
        order by latent_type
        """
    ).fetchall()


def print_summary(db_path: Path, raw_path: Path | None = None) -> None:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        set_search_path(con)  # marts, seeds, staging and intermediate each have their schema
        tables = _tables(con)
        print("\n== Build summary ==")
        print(f"database: {db_path}")
        if "data_quality_ledger" in tables:
            print("\nData-quality ledger (rows read = kept + set aside + duplicates):")
            print(f"  {'raw table':<18}{'read':>12}{'kept':>12}{'set aside':>12}{'duplicates':>12}")
            for table, read, kept, aside, dup in ledger_totals(con):
                print(f"  {table:<18}{read:>12,}{kept or 0:>12,}{aside:>12,}{dup:>12,}")
        for line in set_aside_warnings(con) + float_id_warnings(con):
            print(line)
        seeds = {p.stem for p in (PROJECT_ROOT / "seeds").glob("*.csv")}
        layers = {
            "seeds": sorted(t for t in tables if t in seeds),
            "staging": sorted(t for t in tables if t.startswith("stg_")),
            "intermediate": sorted(t for t in tables if t.startswith("int_")),
            "marts": sorted(
                t for t in tables
                if not t.startswith(("stg_", "int_", "base_")) and "__" not in t and t not in seeds
            ),
        }
        print("\nRows per layer:")
        for layer, names in layers.items():
            for name in names:
                print(f"  {layer:<13}{name:<34}{_count(con, name):>12,}")
        if "user_tiers" in tables:
            as_of = con.execute("select max(as_of_date) from user_tiers").fetchone()[0]
            print(f"\nTier sizes as of {as_of}:")
            for family in FAMILIES:
                rows = con.execute(
                    f"select {family}, count(*) from user_tiers group by 1 order by 2 desc, 1"
                ).fetchall()
                total = sum(r[1] for r in rows) or 1
                cells = ", ".join(f"{tier} {n:,} ({n / total:.1%})" for tier, n in rows)
                print(f"  {family:<16}{cells}")
            truth = raw_path / "_truth" / "user_types.parquet" if raw_path else None
            if truth is not None and truth.is_file():
                print("\nHow the generator's true behaviour types spread over the tiers (share of each type):")
                header = ("type", "users", "core_fan", "potential", "new_vis", "regular", "casual",
                          "churned", "reactiv")
                print("  " + "".join(f"{h:>11}" for h in header))
                for row in truth_recovery(con, truth):
                    print("  " + "".join(f"{v:>11}" if isinstance(v, str) else f"{v:>11,}" for v in row))
    finally:
        con.close()
