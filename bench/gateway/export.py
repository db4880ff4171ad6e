"""``python -m bench.gateway.export OUT``: copy every champion of ``$FORTRESS_HOME``'s registry to
``OUT/<name>.onnx`` and write ``OUT/manifest.json`` (name -> version and labels), for the floor.

Run in a child process with a clean environment, so the registry is read with default settings.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MANIFEST = "manifest.json"


def export(out: Path) -> dict[str, dict[str, object]]:
    from fortress.registry.mlflow_registry import MlflowRegistry
    from fortress.settings import Settings

    settings = Settings()
    registry = MlflowRegistry(settings.registry, settings.home)
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict[str, object]] = {}
    for name in sorted(registry.model_names()):
        fetched = registry.fetch(name, "champion")
        (out / f"{name}.onnx").write_bytes(fetched.onnx_bytes())
        manifest[name] = {"version": fetched.info.version, "labels": list(fetched.spec.labels)}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    manifest = export(Path(argv[0]))
    print(f"exported {len(manifest)} champions to {argv[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
