"""The narrative catalog: what a narrative is and how catalogs are read.

- `schema`: `Narrative`, `Catalog` (validated, immutable, content-hash `version`), `CatalogError`.
- `loading`: `load_catalog(path)` for YAML files or folders and JSONL, ClaimReview / CheckThat!
  import, `CatalogStore`.

The YAML catalogs shipped with narrmon live in the data folder `models/catalogs/`.
"""

from models.catalog.loading import (
    CatalogStore,
    claimreview_narratives,
    dump_catalog_yaml,
    load_catalog,
    read_import_source,
    vclaim_narrative,
)
from models.catalog.schema import Catalog, CatalogError, FactCheck, Narrative, content_version

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogStore",
    "FactCheck",
    "Narrative",
    "claimreview_narratives",
    "content_version",
    "dump_catalog_yaml",
    "load_catalog",
    "read_import_source",
    "vclaim_narrative",
]
