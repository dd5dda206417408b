"""The row rules of :mod:`events.validate` in Spark SQL: the same fields, types, cleaning and reasons.

The input is a view of numbered raw lines ``(line_no BIGINT, raw BINARY)``; the output has the
columns of :func:`events.validate.parse_lines_sql` (``raw_text`` aside: rejected rows carry
``text`` and ``raw`` instead and the rejects file is written by DuckDB, see
:mod:`events.spark_ingest`). Where Spark's casts and DuckDB's differ (Spark takes ``1.5d`` or
``0x1p3`` as a double, DuckDB takes ``1_000`` and accepts ``2019-1-5 0:0:0`` as a time), a
regular expression states DuckDB's accepted forms before the cast. Differences that remain are
listed in docs/ARCHITECTURE.md, "Spark".
"""

from __future__ import annotations

from events.store import EVENT_TYPES
from events.validate import COLUMNS, FIELD_RE, ROW_RE, too_long_sql

#: whitespace DuckDB skips around numbers and inside times (Java's ``\s``: space, \t, \n, \v, \f, \r)
_WS = r"\s*"
_DIGITS = r"[0-9]+(?:_[0-9]+)*"
#: the text forms DuckDB's CAST(... AS DOUBLE) accepts (finite or not), whitespace around
PRICE_RE = rf"^{_WS}(\+?-?(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?){_WS}\z"
#: the times DuckDB's strptime takes for both REES46 formats (1–4 digit year, 1–2 digit fields)
TIME_RE = r"^\s*([0-9]{1,4})-([0-9]{1,2})-([0-9]{1,2})\s+([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\s+UTC)?\s*\z"
INTEGER_RE = r"^-?[0-9]{1,19}\z"
WHOLE_ROW_RE = rf"^(?:{ROW_RE})\z"
#: DuckDB's trim: Unicode space separators (not tabs or line breaks)
TRIM_RE = r"^\p{Zs}+|\p{Zs}+\z"


def sql_string(text: str) -> str:
    """``text`` as a Spark SQL string literal (backslashes and quotes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _trim(value: str) -> str:
    return f"regexp_replace({value}, {sql_string(TRIM_RE)}, '')"


def _field(position: int) -> str:
    """The field at ``position``, unquoted (a quoted field loses its quotes, doubled quotes become one).

    Per field rather than a ``transform`` over the list: a lambda would make Spark interpret
    the whole projection instead of compiling it (1.4 × the time on 619 k lines).
    """
    field = f"element_at(fields, {position})"
    unquoted = f"replace(substring({field}, 2, length({field}) - 2), '\"\"', '\"')"
    return f"CASE WHEN startswith({field}, '\"') THEN {unquoted} ELSE {field} END"


def _cleaned(column: str, position: int) -> str:
    """The field at ``position`` with :func:`events.validate._clean`'s cleaning (brand: trimmed, lower case)."""
    return f"lower({_trim(_field(position))})" if column == "brand" else _field(position)


def _integer(column: str) -> str:
    s = f"s_{column}"
    return f"CASE WHEN {s} RLIKE {sql_string(INTEGER_RE)} THEN CAST({s} AS BIGINT) END"


def _shown(field: str) -> str:
    return f"""concat("'", left({field}, 40), "'")"""


def _time(field: str) -> str:
    parts = ", ".join(f"CAST(regexp_extract({field}, {sql_string(TIME_RE)}, {i}) AS INT)" for i in range(1, 7))
    return f"CASE WHEN {field} RLIKE {sql_string(TIME_RE)} THEN make_timestamp_ntz({parts}) END"


def _price(field: str) -> str:
    core = f"regexp_extract({field}, {sql_string(PRICE_RE)}, 1)"
    plain = f"regexp_replace(regexp_replace({core}, '_', ''), {sql_string('^[+]-')}, '-')"
    return f"CASE WHEN {field} RLIKE {sql_string(PRICE_RE)} THEN CAST({plain} AS DOUBLE) END"


def _reason_case() -> str:
    """The first rule a row breaks, as :func:`events.validate.parse_lines_sql` words it (NULL: kept)."""
    types = ", ".join(sql_string(t) for t in EVENT_TYPES)
    return f"""CASE
        WHEN text IS NULL THEN 'invalid UTF-8'
        WHEN text = '' THEN 'empty line'
        WHEN fields IS NULL THEN 'malformed quoting'
        WHEN n_fields <> {len(COLUMNS)}
            THEN concat('wrong number of fields: expected {len(COLUMNS)}, found ', n_fields)
        WHEN s_event_time IS NULL THEN 'missing event_time'
        WHEN t_event_time IS NULL THEN concat('bad timestamp ', {_shown("s_event_time")})
        WHEN s_event_type IS NULL THEN 'missing event_type'
        WHEN s_event_type NOT IN ({types}) THEN concat('unknown event type ', {_shown("s_event_type")})
        WHEN s_product_id IS NULL THEN 'missing product_id'
        WHEN t_product_id IS NULL THEN concat('non-integer product_id ', {_shown("s_product_id")})
        WHEN s_category_id IS NOT NULL AND t_category_id IS NULL
            THEN concat('non-integer category_id ', {_shown("s_category_id")})
        WHEN s_price IS NULL THEN 'missing price'
        WHEN t_price IS NULL OR isnan(t_price) OR abs(t_price) = double('infinity')
            THEN concat('non-numeric price ', {_shown("s_price")})
        WHEN t_price < 0 THEN concat('negative price ', {_shown("s_price")})
        WHEN s_user_id IS NULL THEN 'missing user_id'
        WHEN t_user_id IS NULL THEN concat('non-integer user_id ', {_shown("s_user_id")})
        {too_long_sql(spark=True)}
    END"""


def parse_lines_spark_sql(lines: str) -> str:
    """A Spark SELECT over the view ``lines`` giving :func:`events.validate.parse_lines_sql`'s rows.

    Columns: ``line_no``, the store columns (raw ``user_id``), ``reason``, ``text`` and ``raw``
    (for rejected rows only) and ``raw_user_id``.
    """
    fields = ",\n        ".join(f"nullif({_cleaned(c, i)}, '') AS s_{c}" for i, c in enumerate(COLUMNS, start=1))
    return f"""
WITH decoded AS (
    SELECT line_no, raw,
        CASE WHEN encode(decode(raw, 'UTF-8'), 'UTF-8') = raw THEN decode(raw, 'UTF-8') END AS text
    FROM {lines}
),
split AS (
    SELECT line_no, raw, text,
        CASE
            WHEN text IS NULL THEN NULL
            WHEN instr(text, '"') = 0 THEN split(text, ',', -1)
            WHEN text RLIKE {sql_string(WHOLE_ROW_RE)}
                THEN regexp_extract_all(concat(text, ','), {sql_string(FIELD_RE)}, 1)
        END AS fields
    FROM decoded
),
typed AS (
    SELECT line_no, raw, text, fields, size(fields) AS n_fields,
        {fields}
    FROM split
),
judged AS (
    SELECT *,
        {_time("s_event_time")} AS t_event_time,
        {_integer("product_id")} AS t_product_id,
        {_integer("category_id")} AS t_category_id,
        {_price("s_price")} AS t_price,
        {_integer("user_id")} AS t_user_id
    FROM typed
),
reasoned AS (
    SELECT *,
        {_reason_case()} AS reason
    FROM judged
)
SELECT
    line_no,
    t_event_time AS event_time,
    s_event_type AS event_type,
    t_product_id AS product_id,
    t_category_id AS category_id,
    s_category_code AS category_code,
    s_brand AS brand,
    t_price AS price,
    t_user_id AS user_id,
    s_user_session AS user_session,
    reason,
    CASE WHEN reason IS NOT NULL THEN text END AS text,
    CASE WHEN reason IS NOT NULL THEN raw END AS raw,
    CASE WHEN reason IS NOT NULL
         THEN nullif({_trim(_field(COLUMNS.index("user_id") + 1))}, '') END AS raw_user_id
FROM reasoned
"""
