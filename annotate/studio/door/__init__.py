"""The annotators' door: what Community Label Studio cannot restrict, enforced in front of it.

Community Label Studio 1.23.2 has no roles: `label_studio/core/permissions.py` grants every
permission to `rules.is_authenticated`, and its only organisation policy (`session_policy`) is
session timeouts; the annotator and reviewer roles are Enterprise's. So any member can read,
change, delete and export every answer in the project. The door is Debian's nginx in
front of the local Label Studio, asking `checker.py` about each request with `auth_request`;
the checker knows the member from Label Studio's own session cookie and lets annotators do what
the labelling stream needs and nothing more (`rules.py`), and leads everything. `process.py`
starts and stops the two.

    from mauqif.annotate.studio.door import start_door, stop_door
    status = start_door(home, studio_url)   # status.url: the address to give annotators
"""

from .exceptions import DoorError
from .process import DoorStatus, door_status, start_door, stop_door
from .rules import Decision, decide

__all__ = [
    "Decision",
    "DoorError",
    "DoorStatus",
    "decide",
    "door_status",
    "start_door",
    "stop_door",
]
