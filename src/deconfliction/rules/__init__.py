"""The rules of an agreement, each a set of plain functions over one store transaction: notices,
conflicts, acknowledgments, the hotline, channels, events (the outbox), the audit chain, compliance,
credentials, subscriptions. The facade (`deconfliction.service`) calls them; they never call it."""
