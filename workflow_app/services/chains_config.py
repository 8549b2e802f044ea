"""The roadmap chains' configuration, ``bpmn/chains.json`` (or ``CHAINS_CONFIG``): business keys, titles,
act types and signatories, read by the chains (services/chains) and the documents they draft."""

import json
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context


@lru_cache(maxsize=4)
def _read_config(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def config() -> dict:
    default = Path(__file__).resolve().parents[2] / "bpmn" / "chains.json"
    if has_app_context():
        path = current_app.config.get("CHAINS_CONFIG") or Path(current_app.config["BPMN_DIR"]) / "chains.json"
        if Path(path).exists():
            default = Path(path)
    return _read_config(str(default))
