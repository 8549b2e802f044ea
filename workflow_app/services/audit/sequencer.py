"""The audit sequencer: seals appended audit events into the one hash chain, within a second of their commit.

Every scheduler process runs one (a thread beside the scheduler loop); they take turns on the head row
(``trail.seal`` skips when another holds it), so a second scheduler is a failover, not a second chain.
``seal_pending`` seals everything that is final now, batch by batch, each batch its own transaction.

Neighbours: appending and the chain maths are ``trail``; this is only the thread that calls ``trail.seal``.
"""

import logging
import threading

from ...extensions import db
from ..uow import UnitOfWork
from . import trail

log = logging.getLogger(__name__)
INTERVAL = 0.5  # seconds between looks for unsealed events


def seal_pending(batch: int = trail.SEAL_BATCH) -> int:
    """Seal the events of every finished transaction; returns how many were sealed."""
    total = 0
    while True:
        with UnitOfWork() as uow:
            sealed = trail.seal(db.session, batch)
            uow.commit()
        total += sealed
        if sealed < batch:
            return total


class Sequencer:
    def __init__(self, app, interval: float = INTERVAL):
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Sequencer":
        self._thread = threading.Thread(target=self.run, name="audit-sequencer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def run(self) -> None:
        with self.app.app_context():
            while not self._stop.is_set():
                try:
                    seal_pending()
                except Exception:  # a lost connection, a restart of the database: retry at the next turn
                    db.session.rollback()
                    log.exception("audit sealing failed; retrying")
                self._stop.wait(self.interval)
            db.session.remove()
