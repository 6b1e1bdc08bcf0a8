"""Peer: dlt's Arrow path, loading the activities file into SQLite with merge on the key.

The file is read by pyarrow's streaming CSV reader (1 MiB blocks, values with
line breaks allowed, as the notes have them) and each block is handed to dlt
as an Arrow table: dlt's fastest way in, with no per-row Python on our side.
Same destination and merge (`delete-insert` on `id`) as `dlt_merge.py`, and
the same English column names (dlt's naming turns the Chinese headers into "x").

    python bench/peers/dlt_arrow.py activities.csv out.db WORKDIR
"""

import sys
from pathlib import Path

import dlt
import pyarrow as pa
import pyarrow.csv as pa_csv
from dlt_merge import COLUMNS


@dlt.resource(name="activities", primary_key="id", write_disposition="merge")
def activities(path: str):
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(
            column_names=COLUMNS, skip_rows=1, block_size=1 << 20, encoding="utf-8-sig"
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(COLUMNS, pa.string())),
    )
    for batch in reader:
        yield pa.Table.from_batches([batch])


def main(path: str, database: str, workdir: str) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="bench_activities_arrow",
        destination=dlt.destinations.sqlalchemy(credentials=f"sqlite:///{database}"),
        dataset_name="main",
        pipelines_dir=str(Path(workdir) / "pipelines"),
    )
    info = pipeline.run(activities(path))
    info.raise_on_failed_jobs()
    print(pipeline.last_trace.last_normalize_info)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
