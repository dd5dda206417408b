"""A REES46 file full of the bad and odd rows of tests/unit/test_ingest_bad_input.py, and near misses of each rule."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

from events.validate import HEADER
from tests.support.ingest_support import ROW, ROW2, ROW3

#: each text of a good row, and what it may be replaced by (one rule's edge at a time)
VARIANTS = {
    "2019-10-01 00:00:00 UTC": [
        "2019-10-32 00:00:00 UTC",
        "",
        "2019-1-5 0:0:0",
        "19-10-01 00:00:00",
        " 2019-10-01 00:00:00",
        "2019-10-01  00:00:00",
        "2019-10-01T00:00:00",
        "2019-10-01 00:00:00 utc",
        "2019-10-01 00:00:00.5",
        "2019-02-29 00:00:00",
        "2020-02-29 00:00:00 UTC",
        "2019-10-01 24:00:00",
        "02019-10-01 00:00:00",
        "2019-10-01 00:00:00UTC",
        "2019-10-01\t00:00:00",
        "2019-10-01 00:00:00 UTC\t",
        "2019-10-01 00:00:00",
        "2019-10-01 00:00:00 UTC UTC",
        "2019-10-01 00:00:00\xa0UTC",
        "2019-11-30 23:59:59 UTC",
    ],
    ",view,": [",click,", ",,", ",VIEW,", ", view,", ",purchase,", ",remove_from_cart,"],
    "44600062": [
        "44600062.5",
        "",
        "007",
        "-0",
        "+5",
        " 7",
        "99999999999999999999",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "1e3",
        "４",
    ],
    "2103807459595387724": ["2.103807459595387e18", "", "0012", "x"],
    "35.79": [
        "-1",
        "abc",
        "",
        "1e3",
        ".5",
        "5.",
        "+5",
        "-0",
        "1_000",
        "1,5",
        "0x10",
        "1.5d",
        "1.5f",
        "inf",
        "nan",
        "Infinity",
        "1e400",
        "1e-400",
        "00012.5",
        "..",
        "e3",
        "1e",
        "1e+3",
        "1 000",
        "0x1p3",
        " ",
        "\t1",
        "1__0",
        "1._5",
        "1.5_0",
        "1e1_0",
        "\x0b1",
        "1\xa0",
        " +.5e-3 ",
        "+-1",
        "--1",
        '"35.79"',
        '"3,5"',
    ],
    ",shiseido,": [
        ',"Shiseido, Inc. ""JP""",',
        ',"shiseido,',
        ", Shiseido ,",
        ",\tBrand\t,",
        ",\xa0Brand\u3000,",
        ",ÄÖÜ,",
        ",,",
        ',"",',
        ",",
        "," + "b" * 256 + ",",  # the longest kept (TEXT_FIELDS_MAX_BYTES)
        "," + "b" * 257 + ",",
        "," + "é" * 128 + ",",  # 256 bytes in 128 characters: kept
        "," + "É" * 129 + ",",  # 258 bytes: rejected in both engines alike
    ],
    "appliances.environment.water_heater": ["c" * 300, "ü" * 200],
    "72d76fde-8bb3-4e00-8c23-a032dfed738c": ["s" * 257, "s" * 256],
    "541312140": ["", "u541312140", '"541312140"', " 541312140 ", "00541312140", "-5"],
}
ODD_LINES = ["", "", "a,b", ROW + ",surplus", ROW[:40], '"', '""', ",,,,,,,,", '"a"b,c', ROW.replace(",", ',""', 1)]


def bad_lines_bytes(rows: int = 1500, seed: int = 5) -> bytes:
    """The file's bytes: ``rows`` good rows with up to two variants each, odd lines, invalid UTF-8, CR endings."""
    rng = random.Random(seed)
    lines = []
    for _ in range(rows):
        row = rng.choice([ROW, ROW2, ROW3])
        for _ in range(rng.randint(0, 2)):
            text = rng.choice(list(VARIANTS))
            if text in row:
                row = row.replace(text, rng.choice(VARIANTS[text]), 1)
        lines.append(row)
    lines += ODD_LINES + [ROW] * 3  # exact duplicates
    rng.shuffle(lines)
    data = (HEADER + "\n" + "\n".join(lines) + "\n").encode("utf-8")
    data = data.replace(b"aqua", b"aq\xe4ua", 3)  # latin-1 bytes: invalid UTF-8
    return data + ROW2.encode() + b"\r\n" + ROW3.encode() + b"\r\r\n" + ROW.encode() + b"\r"


def write_bad_lines(path: Path, gz_members: int = 0, seed: int = 5) -> Path:
    """Write :func:`bad_lines_bytes` to ``path``, plain or as ``gz_members`` concatenated gzip members."""
    data = bad_lines_bytes(seed=seed)
    if gz_members:
        cut = len(data) // gz_members
        parts = [data[i * cut : (i + 1) * cut if i < gz_members - 1 else len(data)] for i in range(gz_members)]
        data = b"".join(gzip.compress(part) for part in parts)
    path.write_bytes(data)
    return path
