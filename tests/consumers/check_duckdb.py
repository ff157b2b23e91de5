"""Loads `posture export` output into DuckDB and checks it against
`posture aggregate`: the same per-rule failing-host counts on each host's
latest report, from both the Parquet and the NDJSON file.

usage: check_duckdb.py EXPORT.parquet EXPORT.ndjson FLEET.json
"""
import json
import sys

import duckdb

# The query docs/fleet.md gives for DuckDB; FROM is filled in per file.
FAILING_PER_RULE = """
WITH rows AS (SELECT * FROM {source}),
latest AS (SELECT host, max(scanned_at) AS scanned_at FROM rows GROUP BY host)
SELECT rule_id,
       count(*) AS hosts,
       count(*) FILTER (WHERE outcome = 'fail') AS failing,
       count(*) FILTER (WHERE waived) AS waived
FROM rows JOIN latest USING (host, scanned_at)
GROUP BY rule_id
ORDER BY rule_id
"""

EXPECTED_COLUMNS = [
    "host", "tags", "os", "scan_id", "scanned_at", "score", "policy",
    "policy_version", "section", "rule_id", "title", "severity", "outcome",
    "waived", "waiver_expires", "references", "nist", "reason", "evidence",
]


def fail(message):
    print(f"check_duckdb: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    parquet, ndjson, fleet_path = sys.argv[1:]
    with open(fleet_path) as f:
        fleet = json.load(f)
    expected = {r["id"]: (r["hosts"], r["failing"], r["waived"]) for r in fleet["rules"]}
    con = duckdb.connect()
    # NDJSON: scanned_at is an RFC 3339 string; cast so max() orders by time.
    sources = {
        "parquet": f"read_parquet('{parquet}')",
        "ndjson": f"(SELECT * REPLACE (CAST(scanned_at AS TIMESTAMPTZ) AS scanned_at) "
        f"FROM read_json_auto('{ndjson}', format='newline_delimited'))",
    }
    counts = {}
    for name, source in sources.items():
        columns = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        if columns != EXPECTED_COLUMNS:
            fail(f"{name}: columns {columns}, expected {EXPECTED_COLUMNS}")
        rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        got = {
            rule: (hosts, failing, waived)
            for rule, hosts, failing, waived in con.execute(
                FAILING_PER_RULE.format(source=source)
            ).fetchall()
        }
        if got != expected:
            diff = sorted(
                (k, got.get(k), expected.get(k))
                for k in set(got) | set(expected)
                if got.get(k) != expected.get(k)
            )
            fail(f"{name}: per-rule (hosts, failing, waived) differ from posture aggregate: {diff[:10]}")
        counts[name] = rows
        print(f"check_duckdb: {name}: {rows} rows; per-rule counts of {len(got)} rules match posture aggregate")
    if counts["parquet"] != counts["ndjson"]:
        fail(f"row counts differ: {counts}")
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {sources['parquet']})").fetchall())
    for column, kind in [("scanned_at", "TIMESTAMP WITH TIME ZONE"), ("tags", "VARCHAR[]"), ("waived", "BOOLEAN"), ("score", "DOUBLE")]:
        if types[column] != kind:
            fail(f"parquet: column {column} is {types[column]}, expected {kind}")
    print("check_duckdb: all checks passed")


main()
