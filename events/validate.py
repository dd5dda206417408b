"""Row rules for REES46 event files, as DuckDB SQL: split each line, type it, clean it, give bad rows a reason.

The input is a relation of numbered raw lines ``(line_no BIGINT, raw BLOB)``; the output
has the event store's columns (raw ``user_id``, before pseudonymisation) plus ``reason``
(NULL for a kept row), ``raw_text`` (the line as text) and ``raw_user_id`` (the user id
field as text), the last two only for rejected rows. Every input line gets exactly one
output row, so ``read = kept + rejected`` holds by construction.
"""

from __future__ import annotations

from events.store import COLUMNS, EVENT_TYPES
from shopgraph.errors import ShopgraphError
from shopgraph.sqltext import literal_list

HEADER = ",".join(COLUMNS)

#: accepted forms of ``event_time``: the REES46 form and the same without `` UTC`` (read as UTC)
TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%d %H:%M:%S")

_FIELD = r'"(?:[^"]|"")*"|[^,"]*'
#: a whole line of well-formed CSV fields (quoted fields may contain commas and doubled quotes)
ROW_RE = rf"(?:{_FIELD})(?:,(?:{_FIELD}))*"
#: one field followed by its comma (applied to ``line || ','``)
FIELD_RE = rf"({_FIELD}),"
TEXT_FIELDS_MAX_BYTES = 256  # category_code, brand, user_session: 38, 16 and 36 bytes at most in the real samples
REASON_KIND = r"^([^':]*)"  # a reason without its value: "bad timestamp '…'" → "bad timestamp"


def check_header(first_line: str, source: str) -> None:
    """Raise a one-line :class:`ShopgraphError` unless ``first_line`` is exactly the REES46 header.

    ``first_line`` must already be stripped of a byte-order mark and of the line ending.
    The message names the missing, extra and misordered columns.
    """
    if first_line == HEADER:
        return
    found = [f.strip() for f in first_line.split(",")]
    if found and found[0][:4].isdigit() and not set(found) & set(COLUMNS):
        raise ShopgraphError(
            f"{source}: no header: line 1 looks like data ({first_line[:60]!r}); the file must start with {HEADER}"
        )
    missing = [c for c in COLUMNS if c not in found]
    extra = [c for c in found if c not in COLUMNS]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing))
    if extra:
        problems.append("extra " + ", ".join(repr(c) for c in extra))
    if not missing and not extra:
        if len(found) != len(set(found)):
            dupes = sorted({c for c in found if found.count(c) > 1})
            problems.append("repeated " + ", ".join(dupes))
        elif found != list(COLUMNS):
            misplaced = [c for i, c in enumerate(found) if COLUMNS[i] != c]
            problems.append("misordered " + ", ".join(misplaced))
        else:  # same names, different spelling around them (spaces, quotes)
            problems.append("unexpected spaces or quotes")
    raise ShopgraphError(f"{source}: wrong header ({'; '.join(problems)}): expected {HEADER}")


def _integer(column: str) -> str:
    """The BIGINT of ``s_<column>`` only if it is written as a plain integer (never '1.5' or '1e3').

    DuckDB's cast also takes '1.5', ' 7' or '1e3'; a value whose cast prints back as the
    same text is a plain integer (the common case, no regex); other texts must match
    ``-?[0-9]{1,19}`` (leading zeros).
    """
    s, c = f"s_{column}", f"c_{column}"
    return f"CASE WHEN CAST({c} AS VARCHAR) = {s} THEN {c} WHEN regexp_full_match({s}, '-?[0-9]{{1,19}}') THEN {c} END"


def _clean(column: str, value: str) -> str:
    """The cleaning applied to one raw field before typing (brand: trimmed, lower case)."""
    return f"lower(trim({value}))" if column == "brand" else value


def _shown(field: str) -> str:
    """The offending value for a reason, quoted and cut to 40 characters."""
    return f"'''' || left({field}, 40) || ''''"


def _split_fields_sql() -> str:
    """The list of unquoted fields of ``text``; NULL for invalid UTF-8 or malformed quoting.

    A line without quotes is split on commas (the common case, no regex); a quoted line
    must match :data:`ROW_RE` and its fields lose their quotes and doubled quotes.
    """
    return f"""CASE
            WHEN text IS NULL THEN NULL
            WHEN NOT contains(text, '"') THEN string_split(text, ',')
            WHEN regexp_full_match(text, '{ROW_RE}') THEN list_transform(
                regexp_extract_all(text || ',', '{FIELD_RE}', 1),
                lambda f: CASE WHEN starts_with(f, '"') THEN replace(f[2:-2], '""', '"') ELSE f END)
        END"""


def _field_strings_sql() -> str:
    """One cleaned text column ``s_<column>`` per :data:`COLUMNS` (empty strings become NULL)."""
    return ",\n        ".join(
        f"nullif({_clean(c, f'fields[{i}]')}, '') AS s_{c}" for i, c in enumerate(COLUMNS, start=1)
    )


def _typed_sql() -> str:
    """The typed value ``t_<column>`` of every column that needs one (NULL where the text does not parse)."""
    formats = literal_list(TIMESTAMP_FORMATS)
    return f"""try_strptime(s_event_time, {formats}) AS t_event_time,
        {_integer("product_id")} AS t_product_id,
        {_integer("category_id")} AS t_category_id,
        try_cast(s_price AS DOUBLE) AS t_price,
        {_integer("user_id")} AS t_user_id"""


def _reason_sql() -> str:
    """The first rule a row breaks, as its reason (NULL for a row that is kept); rules in the documented order."""
    types = literal_list(EVENT_TYPES)
    return f"""CASE
            WHEN text IS NULL THEN 'invalid UTF-8'
            WHEN text = '' THEN 'empty line'
            WHEN fields IS NULL THEN 'malformed quoting'
            WHEN n_fields <> {len(COLUMNS)}
                THEN 'wrong number of fields: expected {len(COLUMNS)}, found ' || n_fields
            WHEN s_event_time IS NULL THEN 'missing event_time'
            WHEN t_event_time IS NULL THEN 'bad timestamp ' || {_shown("s_event_time")}
            WHEN s_event_type IS NULL THEN 'missing event_type'
            WHEN NOT list_contains({types}, s_event_type)
                THEN 'unknown event type ' || {_shown("s_event_type")}
            WHEN s_product_id IS NULL THEN 'missing product_id'
            WHEN t_product_id IS NULL THEN 'non-integer product_id ' || {_shown("s_product_id")}
            WHEN s_category_id IS NOT NULL AND t_category_id IS NULL
                THEN 'non-integer category_id ' || {_shown("s_category_id")}
            WHEN s_price IS NULL THEN 'missing price'
            WHEN t_price IS NULL OR NOT isfinite(t_price)
                THEN 'non-numeric price ' || {_shown("s_price")}
            WHEN t_price < 0 THEN 'negative price ' || {_shown("s_price")}
            WHEN s_user_id IS NULL THEN 'missing user_id'
            WHEN t_user_id IS NULL THEN 'non-integer user_id ' || {_shown("s_user_id")}
            {too_long_sql()}
        END"""


def too_long_sql(spark: bool = False) -> str:
    """The text fields' length rule, in bytes (DuckDB's ``strlen``, Spark's ``octet_length``: the same count for
    any text): a field of kilobytes is not a category, brand or session, and would become a node or a property
    of that size. The whole line's length first (a line that short holds no field that long), the fields only on
    a longer line; its cost, ≈ 1.2× the rules' CPU: docs/BENCHMARKS.md, "Ingest"."""
    size = "octet_length" if spark else "strlen"
    limit = TEXT_FIELDS_MAX_BYTES
    fields = []
    for column in ("category_code", "brand", "user_session"):
        words = f"'{column} longer than {limit} bytes: '"
        said = f"concat({words}, {size}(s_{column}))" if spark else f"{words} || {size}(s_{column})"
        fields.append(f"WHEN {size}(s_{column}) > {limit} THEN {said}")
    return f"WHEN {size}(text) > {limit} THEN CASE {' '.join(fields)} END"


def _output_sql() -> str:
    """The output columns: the store's (typed, raw ``user_id``), the reason, and the raw line and user id of a
    rejected row."""
    return f"""line_no,
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
    CASE WHEN reason IS NOT NULL THEN coalesce(text, CAST(raw AS VARCHAR)) END AS raw_text,
    CASE WHEN reason IS NOT NULL THEN nullif(trim(fields[{COLUMNS.index("user_id") + 1}]), '') END AS raw_user_id"""


def parse_lines_sql(lines: str) -> str:
    """A SELECT turning the raw lines in relation ``lines`` into typed rows with a ``reason``.

    The steps are CTEs, each built by one function: decode → split (:func:`_split_fields_sql`)
    → field texts (:func:`_field_strings_sql`) → typed values (:func:`_typed_sql`) →
    reason (:func:`_reason_sql`) → output columns (:func:`_output_sql`).

    Parameters
    ----------
    lines
        Name of a relation with columns ``line_no`` (BIGINT) and ``raw`` (BLOB, one line
        without its ``\\n``; a trailing ``\\r`` is removed here).

    Returns
    -------
    str
        SQL with columns ``line_no, event_time, event_type, product_id, category_id,
        category_code, brand, price, user_id, user_session, reason, raw_text, raw_user_id``;
        ``raw_text`` and ``raw_user_id`` are set for rejected rows only, ``raw_user_id``
        being the unquoted, trimmed ``user_id`` field as text whatever the reason (NULL
        when the line could not be split into fields: invalid UTF-8, malformed quoting,
        or fewer than 8 fields), so that erasure can find a user's rejected lines.
        Rules, in the order they are tested (the first that fails is the reason):
        valid UTF-8; not empty; well-formed quoting; exactly 9 fields; ``event_time``
        present and in a :data:`TIMESTAMP_FORMATS` form; ``event_type`` one of
        :data:`events.store.EVENT_TYPES`; ``product_id`` present and integer;
        ``category_id`` integer when present; ``price`` present, numeric, finite, ≥ 0
        (``1e3`` is numeric); ``user_id`` present and integer; ``category_code``, ``brand`` and
        ``user_session`` at most :data:`TEXT_FIELDS_MAX_BYTES` bytes.
        Cleaning: empty strings become NULL, ``brand`` is trimmed and lower-cased.
    """
    return f"""
WITH decoded AS (
    SELECT line_no, raw, try(decode(raw)) AS text FROM {lines}
),
split AS (
    SELECT line_no, raw, text,
        {_split_fields_sql()} AS fields
    FROM decoded
),
fields AS (
    SELECT line_no, raw, text, fields, len(fields) AS n_fields,
        {_field_strings_sql()}
    FROM split
),
casted AS (
    SELECT *,
        try_cast(s_product_id AS BIGINT) AS c_product_id,
        try_cast(s_category_id AS BIGINT) AS c_category_id,
        try_cast(s_user_id AS BIGINT) AS c_user_id
    FROM fields
),
typed AS (
    SELECT *,
        {_typed_sql()}
    FROM casted
),
judged AS (
    SELECT *,
        {_reason_sql()} AS reason
    FROM typed
)
SELECT
    {_output_sql()}
FROM judged
"""


def every_row_rejected(name: str, rows: int, kinds: list[tuple[str, int]], first: tuple[int, str]) -> ShopgraphError:
    """The error for a file none of whose ``rows`` passed the row rules: ``kinds`` are (reason without its value,
    rows), most first; ``first`` the first rejected (line, reason). Nothing of such a file is stored: storing
    it would record the month as ingested with no events (a date format changed upstream, another export)."""
    counts = ", ".join(f"{kind.strip()}: {n:,}" for kind, n in kinds[:3]) + (", …" if len(kinds) > 3 else "")
    return ShopgraphError(
        f"{name}: {'its one row was' if rows == 1 else f'all {rows:,} rows were'} rejected ({counts}), "
        f"the first at line {first[0]}: {first[1]}; "
        "nothing was stored: is it a REES46 export? Fix the file and ingest it again"
    )
