"""How a report answers: JSON, or CSV when asked (`?format=csv`, or `Accept: text/csv`), and the query
parameters every monthly report takes. A hidden (suppressed) figure is `null` in JSON and `..` in CSV.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response
from litestar.params import QueryParameter

from server.suppression import SUPPRESSED_CSV

Format = Annotated[Literal["json", "csv"], QueryParameter(name="format")]
FromMonth = Annotated[str | None, QueryParameter(name="from", min_length=7, max_length=7)]
ToMonth = Annotated[str | None, QueryParameter(name="to", min_length=7, max_length=7)]


def respond(
    request: Request[Any, Any, Any],
    fmt: str,
    body: msgspec.Struct,
    rows: list[Any],
    row_type: type,
    name: str,
) -> Response[Any]:
    """JSON, or CSV when asked: one line per row, a hidden figure as `..`."""
    if fmt != "csv" and "text/csv" not in request.headers.get("accept", ""):
        return Response(body)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = [f for f in row_type.__struct_fields__ if f != "suppressed"]
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                SUPPRESSED_CSV
                if c in row.suppressed
                else ("" if getattr(row, c) is None else getattr(row, c))
                for c in columns
            ]
        )
    return Response(
        out.getvalue(),
        media_type="text/csv",  # Litestar adds "; charset=utf-8"
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
