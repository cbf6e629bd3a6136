"""Escalations: requests to a platform about a hit (remove, label, reduce its reach, or refer it
to law enforcement), tracked from open to the platform's answer, the way an election office keeps
a misinformation tracking sheet.

- `records`: the `Escalation` record, what creating and updating one takes, the status rules.
- `sheet`: the tracking-sheet export (CSV, formula-safe, and JSON) and the summary counts.
- `service`: `EscalationService`, the one write path (API and CLI), audited like reviews.

Stored in ``{prefix}-escalations`` by `pipeline.elastic.escalations`.
"""
