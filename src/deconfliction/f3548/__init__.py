"""The ASTM F3548-21 DSS interface (`/dss/v1`): USSs use the system through the standard's API.

- records.py   what only F3548 needs to remember (OVN counters, subscriptions with notification
               indices, constraint references, USS availability, reports)
- wire.py      the one place where F3548 wire shapes become our Volume4D / notices and back
- intents.py, subscriptions.py, constraints.py, uss.py   the logic: plain functions over a store
               Transaction, reusing notices.py (the awareness key *is* the F3548 OVN key)
- extent.py    an intent as the reference DSS keeps it (the union of its volumes): key, queries, notifications
- ids.py       the notice behind an entity id, so the id of a deleted intent can name a new one
- default_agreement.py  the built-in `utm` agreement a new store is served with
- auth.py      RS256 JWTs with the standard's scopes; a USS (`sub`) is a party of one agreement
- routes.py    the FastAPI sub-application mounted at /dss/v1 (spec error bodies, no logic)

Nothing is imported here, so the store can import `records` without pulling in the web layer.
"""
