"""Background work that time or traffic makes due, each started and stopped by `deconfliction.runtime`:
the scheduler (deadlines, escalations, line tests, expiry), webhook delivery, and the tactical loop."""
