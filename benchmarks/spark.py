"""The Spark path (local mode) against normalize_many over the same NDJSON file, in one run.

Writes N generated records (default 200,000) of one vendor, of three vendors interleaved and of three vendors with
varied key sets (the exports of ``benchmarks/bulk.py``), then times ``callstatus.spark.normalize`` over
``spark.read.text`` of the file to Parquet, and ``normalize_many`` over the same file, in this process. The Spark
time includes the pass that finds the key sets and the planning; the session's start and a warm-up run over the
first 5,000 records of each export (the JVM compiles its hot code on first use) are left out.

    python benchmarks/spark.py [--records N] [--cores 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bulk import exports


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--cores", type=int, default=2, help="local[N]")
    args = parser.parse_args()
    from pyspark.sql import SparkSession

    import callstatus
    from callstatus.spark import normalize

    callstatus.default_registry()
    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(args.cores))
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.driver.memory", "2g")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(f"{'export':<24} {'path':<15} {'records/s':>10} {'seconds':>8}  ratio")
    with tempfile.TemporaryDirectory() as folder:
        for path, vendor, label in exports(Path(folder), args.records):
            start = time.perf_counter()
            with path.open("rb") as stream:
                count = sum(1 for _ in callstatus.normalize_many(stream, vendor))
            many = count / (time.perf_counter() - start)
            frame = spark.read.text(str(path)).withColumnRenamed("value", "raw")
            out = Path(folder) / f"{path.stem}.parquet"
            normalize(frame.limit(5_000), vendor).write.mode("overwrite").parquet(str(out))
            start = time.perf_counter()
            normalize(frame, vendor).write.mode("overwrite").parquet(str(out))
            seconds = time.perf_counter() - start
            rows = spark.read.parquet(str(out)).where("error IS NULL").count()
            rate = count / seconds
            print(f"{label:<24} {'normalize_many':<15} {many:>10,.0f} {count / many:>8.2f}  1.00x")
            print(f"{label:<24} {'spark':<15} {rate:>10,.0f} {seconds:>8.2f}  {rate / many:.2f}x  ({rows:,} rows)")
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
