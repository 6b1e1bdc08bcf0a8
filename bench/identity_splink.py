"""Splink (DuckDB backend) on the records `bench/identity.py` exported.

Runs in the bench virtualenv (bench/requirements.txt), never in the product.
Input: a CSV of customers with the hub's own normalised fields (so the
comparison is about matching, not cleaning); output: `unique_id,cluster_id`
next to it, and one JSON line of timings.

    bench/.venv/bin/python bench/identity_splink.py bench/data/identity-100k-customers.csv
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI


def main() -> None:
    source = Path(sys.argv[1])
    started = time.perf_counter()
    con = duckdb.connect()
    df = con.sql(f"SELECT * FROM read_csv_auto('{source}', all_varchar=true)")
    db_api = DuckDBAPI(con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[
            cl.JaroWinklerAtThresholds("name", [0.95, 0.88]),
            cl.ExactMatch("credit_code"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("email"),
            cl.ExactMatch("region"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name"),
            block_on("credit_code"),
            block_on("phone"),
            block_on("email"),
            block_on("substr(name, 1, 3)"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db_api.register(df), settings, log_level=30)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("credit_code"), block_on("phone")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("credit_code"))
    trained = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    out = source.with_suffix(".splink.csv")
    con.sql(
        f"COPY (SELECT unique_id, cluster_id FROM {clusters.physical_name}) TO '{out}' (HEADER)"
    )
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "train_s": round(trained - started, 2),
                "predict_cluster_s": round(done - trained, 2),
                "clusters": str(out),
            }
        )
    )


if __name__ == "__main__":
    main()
