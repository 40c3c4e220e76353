"""Zone files in: `import_file(path, options)` recognises the format from the content and returns
the zones and what was skipped (with why); a bad file is refused (InvalidInput naming the element).

Formats: EUROCAE ED-318 and ED-269 (JSON), AIXM 5.1/5.1.1 (XML), OpenAir (text), and the `traffic`
library's airspace JSON. docs/data.md says what each reads and ignores.
"""

from __future__ import annotations

import json
from pathlib import Path

from .common import ImportOptions, ImportResult, Refused, refuse

FORMATS = ("auto", "ed318", "ed269", "aixm", "openair", "traffic")
MAX_BYTES = 50 * 1024 * 1024


def detect(text: str) -> str:
    head = text.lstrip()[:4096]
    if head.startswith("<"):
        return "aixm"
    if head.startswith("{") or head.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise refuse(f"line {exc.lineno}", f"not valid JSON: {exc.msg}") from None
        if isinstance(data, dict):
            if "UASZoneList" in data:
                return "ed269"
            features = data.get("features")
            if isinstance(features, list) and features and isinstance(features[0], dict):
                return "ed318" if features[0].get("type") == "Feature" else "ed269"
            if "shapes" in data:
                return "traffic"
        raise refuse("root", "JSON that is neither ED-318, ED-269 nor a traffic airspace")
    return "openair"


def import_text(text: str, options: ImportOptions, file_format: str = "auto", restriction: str = "information") -> ImportResult:
    if file_format not in FORMATS:
        raise refuse("format", f"must be one of {', '.join(FORMATS)}")
    if file_format == "auto":
        file_format = detect(text)
    if file_format == "aixm":
        from lxml import etree

        from .aixm import import_aixm

        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            root = etree.fromstring(text.encode(), parser)
        except etree.XMLSyntaxError as exc:
            raise refuse(f"line {exc.lineno}", f"not well-formed XML: {exc.msg}") from None
        return import_aixm(root, options)
    if file_format == "openair":
        from .openair import import_openair

        return import_openair(text, options)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise refuse(f"line {exc.lineno}", f"not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise refuse("root", "expected a JSON object")
    if file_format == "traffic":
        from .traffic_json import import_traffic_json

        return import_traffic_json(data, options, restriction)
    from .eurocae import import_ed269, import_ed318

    return (import_ed318 if file_format == "ed318" else import_ed269)(data, options)


def import_file(path: str | Path, options: ImportOptions, file_format: str = "auto", restriction: str = "information") -> ImportResult:
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise refuse("file", f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_text(encoding="latin-1")  # OpenAir files are often Latin-1
    options.source = options.source or path.name
    return import_text(text, options, file_format, restriction)


__all__ = ["FORMATS", "ImportOptions", "ImportResult", "Refused", "detect", "import_file", "import_text"]
