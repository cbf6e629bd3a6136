"""Convert CustomResourceDefinition YAML files into kubeconform's JSON schema layout.

    python scripts/crd_to_jsonschema.py OUT_DIR CRD.yaml...

writes ``OUT_DIR/<group>/<kind>_<version>.json`` (kind lower-cased) for every served version of
every CRD, which is what ``kubeconform -schema-location 'OUT_DIR/{{ .Group }}/{{ .ResourceKind
}}_{{ .ResourceAPIVersion }}.json'`` looks up. The conversion is kubeconform's openapi2jsonschema
approach: the version's ``openAPIV3Schema``, strict (``additionalProperties: false`` on every object
that lists properties, unless it preserves unknown fields), ``x-kubernetes-int-or-string`` as
string-or-integer and ``nullable`` as an extra ``null`` type. Used once per operator upgrade; the
output is committed under ``deploy/schemas/crds`` (see the README there).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml


def strict_schema(node: Any) -> Any:
    """A copy of an OpenAPI v3 schema node made strict for JSON Schema validation (pure)."""
    if isinstance(node, list):
        return [strict_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: strict_schema(value) for key, value in node.items()}
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    preserve = out.get("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


def schemas_of(crd: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"<group>/<kind>_<version>.json": schema}`` for each served version of one CRD (pure)."""
    spec = crd["spec"]
    group, kind = spec["group"], spec["names"]["kind"].lower()
    found: dict[str, dict[str, Any]] = {}
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        schema = strict_schema(version["schema"]["openAPIV3Schema"])
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
        found[f"{group}/{kind}_{version['name']}.json"] = schema
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    for source in argv[1:]:
        for crd in yaml.safe_load_all(Path(source).read_text(encoding="utf-8")):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            for name, schema in schemas_of(crd).items():
                target = out_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
                print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
