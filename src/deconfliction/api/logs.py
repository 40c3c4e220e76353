"""Tokens never reach the server's logs: browsers cannot set headers on a WebSocket, so the tracks
stream also takes `?token=…`, and uvicorn logs every path with its query string (the access log for
HTTP, its error logger for WebSocket handshakes). A filter on those loggers rewrites the value."""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"(?i)((?:^|[?&])(?:token|access_token)=)[^&\s\"']+")
REDACTED = "[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    return _TOKEN.sub(lambda m: m.group(1) + REDACTED, text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def install() -> None:
    """Add the filter to uvicorn's loggers, once per process."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
