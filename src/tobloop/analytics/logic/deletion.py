"""A deleted workspace's product events go with it (platform's ``on_workspace_deleted``).

The Django rows of the workspace (event users) are removed by the database's cascade; the
event store keeps its own tables, so its events, user links and catalog are deleted here, and
records of the workspace still waiting in the spool are dropped when the loader reaches them
(the store remembers when the workspace was deleted).
"""

from __future__ import annotations

import logging

from tobloop.analytics.store import event_store

log = logging.getLogger(__name__)


def forget_workspace(workspace_id: int) -> None:
    """Delete the events of a workspace whose deletion has committed."""
    event_store().delete_workspace(workspace_id)
    log.info("deleted the product events of workspace %d", workspace_id)
