"""Peer: the script people write instead of a tool. Python's csv module and
sqlite3 `executemany` into a plain table: no parsing, no validation, no
upsert, no run history.

    python bench/peers/csv_executemany.py activities.csv out.db
"""

import csv
import sqlite3
import sys


def main(path: str, database: str) -> None:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        columns = ", ".join(f'"{name}" TEXT' for name in header)
        marks = ", ".join("?" for _ in header)
        db = sqlite3.connect(database)
        db.execute(f"CREATE TABLE activities ({columns})")
        with db:
            db.executemany(f"INSERT INTO activities VALUES ({marks})", reader)
        db.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
