"""The API's routes, one `fastapi.APIRouter` per resource: hits, narratives, reviews."""
