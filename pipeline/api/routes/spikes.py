"""Routes over narrative spikes (the alerts index the spike agent writes)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pipeline.api.http_errors import READ_ERRORS
from pipeline.api.params import build_filters, parse_time
from pipeline.elastic.alerts import SpikeReader


def spike_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored spike plus the ids of the hits behind its example posts (``{post}:{narrative}``,
    the hits' deterministic ids) and the filters that list them in the UI and ``/api/search``."""
    narrative = str(doc.get("narrative_id"))
    posts = [str(e["post_id"]) for e in doc.get("examples") or () if e.get("post_id")]
    return {
        **doc,
        "hit_ids": [f"{post}:{narrative}" for post in posts],
        "hits_filter": {"narrative": narrative, "post": posts},
    }


def spikes_router(reader: SpikeReader, reads: Any) -> APIRouter:
    """``GET /api/spikes`` on `reader`; `reads` is the read-access dependency."""
    router = APIRouter(tags=["spikes"], dependencies=[reads], responses=READ_ERRORS)

    @router.get("/api/spikes")
    def spikes(
        since: Annotated[str | None, Query(description="ISO 8601 or relative: 24h, 7d.")] = None,
        narrative: Annotated[list[str] | None, Query(description="Narrative id(s).")] = None,
        size: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        """Detected spikes, newest first, each with links to the hits behind it."""
        wanted = build_filters(narrative=narrative).narrative  # checks the ids' shape
        start = parse_time(since, "since") if since else None
        found = reader.recent(since=start, narratives=wanted, size=size)
        return {"spikes": [spike_view(doc) for doc in found]}

    return router
