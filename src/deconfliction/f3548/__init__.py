"""The ASTM F3548-21 DSS rules (`/dss/v1`): USSs use the system through the standard's API.

- wire.py      the one place where F3548 wire shapes become our Volume4D / notices and back
- intents.py, subscriptions.py, constraints.py, uss.py   the logic: plain functions over a store
               Transaction, reusing the notice rules (the awareness key *is* the F3548 OVN key)
- config.py    the interface's settings
- extent.py    an intent as the reference DSS keeps it (the union of its volumes): key, queries, notifications
- ids.py       the notice behind an entity id, so the id of a deleted intent can name a new one
- default_agreement.py  the built-in `utm` agreement a new store is served with

What only F3548 needs to remember (OVN counters, subscriptions with notification indices,
constraint references, USS availability, reports) is in `deconfliction.models.f3548`; the HTTP side
(routes, RS256 JWTs with the standard's scopes) in `deconfliction.api.f3548`.
"""
