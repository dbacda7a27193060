"""Label Studio: the local server, the project made from the schema, push with pre-annotations, pull.

from mauqif.annotate.studio import LocalStudio, start, connect, push, pull

server = start(LocalStudio())                      # or any instance: connect(url, api_key)
credentials = LocalStudio().credentials()
studio = connect(credentials.url, credentials.api_key)
setup = studio.setup_project(schema)
summary = push(studio, setup.project_id, units, schema, model=None)
result = pull(studio, studio.project(project_id=setup.project_id), schema, "exports")
"""

from .client import DEFAULT_TITLE, SAMPLING, SetupResult, Studio, connect
from .config import instructions, label_config
from .exceptions import (
    AuthError,
    ConnectionFailed,
    LabelConfigRejected,
    NotConfigured,
    ProjectNotFound,
    RequestRefused,
    ServerError,
)
from .pull import PullResult, pull
from .push import PushSummary, mentions_version, push
from .server import Credentials, LocalStudio, ServerStatus, start, status, stop

__all__ = [
    "DEFAULT_TITLE",
    "SAMPLING",
    "AuthError",
    "ConnectionFailed",
    "Credentials",
    "LabelConfigRejected",
    "LocalStudio",
    "NotConfigured",
    "ProjectNotFound",
    "PullResult",
    "PushSummary",
    "RequestRefused",
    "ServerError",
    "ServerStatus",
    "SetupResult",
    "Studio",
    "connect",
    "instructions",
    "label_config",
    "mentions_version",
    "pull",
    "push",
    "start",
    "status",
    "stop",
]
