"""Loads `posture export` Parquet into Apache Spark (local mode) and checks
the per-rule failing-host counts on each host's latest report against
`posture aggregate`.

usage: check_spark.py EXPORT.parquet FLEET.json
"""
import json
import sys

from pyspark.sql import SparkSession

# The query docs/fleet.md gives for Spark SQL.
FAILING_PER_RULE = """
WITH latest AS (SELECT host, max(scanned_at) AS scanned_at FROM posture GROUP BY host)
SELECT rule_id,
       count(*) AS hosts,
       count_if(outcome = 'fail') AS failing,
       count_if(waived) AS waived
FROM posture JOIN latest USING (host, scanned_at)
GROUP BY rule_id
"""


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    parquet, fleet_path = sys.argv[1:]
    with open(fleet_path) as f:
        fleet = json.load(f)
    expected = {r["id"]: (r["hosts"], r["failing"], r["waived"]) for r in fleet["rules"]}
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("posture-export-check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        df = spark.read.parquet(parquet)
        df.createOrReplaceTempView("posture")
        got = {
            row["rule_id"]: (row["hosts"], row["failing"], row["waived"])
            for row in spark.sql(FAILING_PER_RULE).collect()
        }
        rows = df.count()
        kinds = dict(df.dtypes)
    finally:
        spark.stop()
    if got != expected:
        diff = sorted(
            (k, got.get(k), expected.get(k))
            for k in set(got) | set(expected)
            if got.get(k) != expected.get(k)
        )
        print(f"check_spark: FAILED: per-rule counts differ from posture aggregate: {diff[:10]}", file=sys.stderr)
        sys.exit(1)
    for column, kind in [("scanned_at", "timestamp"), ("tags", "array<string>"), ("waived", "boolean")]:
        if kinds.get(column) != kind:
            print(f"check_spark: FAILED: column {column} is {kinds.get(column)}, expected {kind}", file=sys.stderr)
            sys.exit(1)
    print(f"check_spark: {rows} rows; per-rule counts of {len(got)} rules match posture aggregate")


main()
