"""Python client for the HTTP API.

    >>> from deconfliction.client import Client
    >>> with Client("http://127.0.0.1:8000", token) as api:
    ...     filing = api.file_notice("pact", volumes, key=[...])
    ...     for event in api.stream_events():
    ...         print(event.kind)

`Client` (http.py) speaks the API for one token; `RemoteDeconfliction` (remote.py) is the library's
`Deconfliction` facade over it, so code written against the library — the CLI — runs against a server.
"""

from .http import Client, Identity, RemoteFinding, error_from_response
from .remote import RemoteDeconfliction

__all__ = ["Client", "Identity", "RemoteDeconfliction", "RemoteFinding", "error_from_response"]
