"""Write-back: compliance findings become follow-up tasks in the CRM that owns the customer.

The pipeline is plan (findings → desired actions, pure) → outbox (the store's
record of every action and its state) → apply (send, inside the connection's
lease, looking up an unconfirmed action by its key before ever sending it
again). See docs/actions.md.
"""
