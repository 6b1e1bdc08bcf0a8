"""Peer: dlt loading the activities file into SQLite with merge on the primary key.

dlt's SQLAlchemy destination (the one that writes SQLite) merges with the
`delete-insert` strategy: rows land in a staging table, then replace the
rows with the same key. dlt's snake_case naming turns every Chinese header
into "x", so the resource names the columns in English, as a dlt user would.
Rows are yielded in pages of 5,000 (dlt's own performance advice).

    python bench/peers/dlt_merge.py activities.csv out.db WORKDIR
"""

import csv
import sys
from pathlib import Path

import dlt

COLUMNS = [
    "id",
    "kind",
    "customer_id",
    "manager_id",
    "occurred_at",
    "logged_at",
    "due_at",
    "completed_at",
    "status",
    "subject",
    "content",
    "amount",
    "currency",
    "score",
    "first_response_at",
    "resolved_at",
    "duration",
    "channel",
    "created_at",
    "updated_at",
]
PAGE = 5000


@dlt.resource(name="activities", primary_key="id", write_disposition="merge")
def activities(path: str):
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if len(header) != len(COLUMNS):
            raise SystemExit(f"{path}: expected {len(COLUMNS)} columns, found {len(header)}")
        page = []
        for row in reader:
            page.append(dict(zip(COLUMNS, row, strict=True)))
            if len(page) == PAGE:
                yield page
                page = []
        if page:
            yield page


def main(path: str, database: str, workdir: str) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="bench_activities",
        destination=dlt.destinations.sqlalchemy(credentials=f"sqlite:///{database}"),
        dataset_name="main",
        pipelines_dir=str(Path(workdir) / "pipelines"),
    )
    info = pipeline.run(activities(path))
    info.raise_on_failed_jobs()
    print(pipeline.last_trace.last_normalize_info)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
