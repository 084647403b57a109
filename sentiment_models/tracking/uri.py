"""Tracking URIs: the default embedded store, credential masking and a reachability check."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sentiment_models.errors import TrackingError

KNOWN_SCHEMES = ("sqlite", "http", "https", "postgresql", "mysql", "mssql", "databricks", "file")
_SECRET_QUERY = re.compile(r"(?i)((?:token|password|passwd|pwd|secret|key|auth)[^=&]*=)[^&]*")


def mask(uri: str) -> str:
    """``uri`` with any password, token or secret replaced by ``***``."""
    parts = urlsplit(uri)
    netloc = parts.netloc
    if "@" not in netloc and not _SECRET_QUERY.search(parts.query):
        return uri
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else f"***@{host}"
    query = _SECRET_QUERY.sub(r"\1***", parts.query)
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_text(text: str, uri: str) -> str:
    """Remove the secrets of ``uri`` (and of the MLflow credential variables) from ``text``."""
    secrets = []
    parts = urlsplit(uri)
    if parts.password:
        secrets.append(parts.password)
    secrets += [
        m.group(2)
        for m in re.finditer(r"(?i)(token|password|secret|key)[^=&]*=([^&]+)", parts.query)
    ]
    for name in ("MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN"):
        if os.environ.get(name):
            secrets.append(os.environ[name])
    masked = text.replace(uri, mask(uri))
    for secret in secrets:
        masked = masked.replace(secret, "***")
    return masked


def uri_source(option: str | None) -> str:
    """What set the tracking URI, as a message names it: the option, the environment
    variable, or the default store."""
    if option:
        return "{tracking.mlflow_uri}"
    return "MLFLOW_TRACKING_URI" if os.environ.get("MLFLOW_TRACKING_URI") else "the default store"


def resolve_uri(option: str | None, rootdir: Path) -> str:
    """``--mlflow-uri``, else ``MLFLOW_TRACKING_URI``, else ``sqlite:///<rootdir>/mlflow.db``."""
    uri = option or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{rootdir / 'mlflow.db'}"
    source = uri_source(option)
    scheme = urlsplit(uri).scheme
    if not scheme:
        raise TrackingError(
            f"{source} {mask(uri)}: no scheme; expected e.g. http://127.0.0.1:5000 "
            "or sqlite:///path/mlflow.db"
        )
    if scheme.split("+")[0] not in KNOWN_SCHEMES:
        hint = f" (did you mean http://{mask(uri)}?)" if re.match(r"^[\w.-]+:\d+", uri) else ""
        raise TrackingError(
            f"{source} {mask(uri)}: unknown scheme {scheme!r}{hint}; expected one of "
            f"{', '.join(KNOWN_SCHEMES)}"
        )
    return uri


def check_reachable(uri: str, timeout: float = 10.0, source: str = "{tracking.mlflow_uri}") -> None:
    """For an HTTP tracking server, ask ``/health``; raise TrackingError if it does not answer
    within ``timeout`` seconds (a server that accepts connections but never answers too)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https"):
        return
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    health = urlunsplit((parts.scheme, f"{host}{port}", parts.path.rstrip("/") + "/health", "", ""))
    try:
        with urllib.request.urlopen(health, timeout=timeout) as response:
            if response.status >= 400:
                raise TrackingError(f"{source} {mask(uri)}: /health answered {response.status}")
    except urllib.error.HTTPError as error:
        raise TrackingError(f"{source} {mask(uri)}: /health answered {error.code}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError | OSError) and "timed out" in str(reason):
            reason = f"no answer within {timeout:g} s"
        raise TrackingError(
            f"{source} {mask(uri)}: the tracking server does not answer ({reason}); "
            "start it, fix the URI, or run with {tracking.no_mlflow}"
        ) from None
