"""The audit trail: ``trail`` appends events and seals and verifies the hash chain (the only writer of
``audit_event``), ``sequencer`` is the thread that seals, ``queries`` reads (chain check, search, an instance's
history and diagram, exports), ``readable`` shows one event to a person."""
