"""Batch reads by id (`GET /<things>/batch?ids=…&ids=…`): one parameter, one cap, one order.

The cap keeps the request line of a full batch (about 41 bytes an id) near 4 KB, under the
8 KB many proxies allow; callers with more ids send several batches."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

MAX_BATCH_IDS = 100

BatchIds = Annotated[list[uuid.UUID], Query(
    min_length=1, max_length=MAX_BATCH_IDS,
    description=f"1 to {MAX_BATCH_IDS} ids, the parameter repeated; a repeated id counts "
                "once. Ids that do not exist, or that the caller may not see, are listed in "
                "`missing`, never refused.")]


def distinct(ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The ids asked for, each once, in the order first asked (the order of the answer)."""
    return list(dict.fromkeys(ids))
