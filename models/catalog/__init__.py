"""The narrative catalog: what a narrative is and how catalogs are read.

- `schema`: `Narrative`, `Catalog` (validated, immutable, content-hash `version`), `CatalogError`.
- `loading`: `load_catalog(path)` for YAML files or folders and JSONL (errors name file, line
  and field).
- `vclaims`: CheckThat! verified claims as narratives.
- `importing`: ClaimReview JSON-LD / vclaims in, a YAML collection file out (`narrmon catalog
  import`).
- `store`: `CatalogStore`, the catalog in use, reloaded only when the new one is valid.
- `wire`: a catalog as one JSON message (the compacted catalog topic, `narrmon catalog publish`).

The YAML catalogs shipped with narrmon live in the data folder `models/catalogs/`.
"""

from models.catalog.importing import claimreview_narratives, dump_catalog_yaml, read_import_source
from models.catalog.loading import load_catalog
from models.catalog.schema import Catalog, CatalogError, FactCheck, Narrative, content_version
from models.catalog.store import CatalogStore
from models.catalog.vclaims import vclaim_narrative
from models.catalog.wire import catalog_from_message, catalog_message

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogStore",
    "FactCheck",
    "Narrative",
    "catalog_from_message",
    "catalog_message",
    "claimreview_narratives",
    "content_version",
    "dump_catalog_yaml",
    "load_catalog",
    "read_import_source",
    "vclaim_narrative",
]
