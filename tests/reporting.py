"""Tables the tests build as they run (the fault and bad-input matrices), printed at the end.

`pytest_terminal_summary` in conftest prints every table that has rows, so `make test` shows the
current matrices; README's "Reliability" section is a copy of that output.
"""

from __future__ import annotations

from collections import defaultdict

# table title -> row -> column -> cell
TABLES: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))


def record(table: str, row: str, column: str, cell: str) -> None:
    TABLES[table][row][column] = cell


def render(table: str) -> str:
    rows = TABLES[table]
    columns = list(dict.fromkeys(column for cells in rows.values() for column in cells))
    lines = [f"| {table} | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for row, cells in rows.items():
        lines.append(f"| {row} | " + " | ".join(cells.get(c, "") for c in columns) + " |")
    return "\n".join(lines)
