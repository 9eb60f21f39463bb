"""The outbox: every WhatsApp message to a person is a row in the database,
written in the same transaction as the change that owes it, sent by Celery
through a WhatsApp provider, exactly once in effect. It knows nothing of the
domain: a row names what it is about by a subject key ("booking:42") and its
tenant by ``salon_id``, and the apps that write messages register what only
they can answer (``registry``): how a message is worded, whether it is still
true, what a reply means.

A message row moves, always by compare-and-set on its status (and its claim
token once claimed), through::

    scheduled --claim--> queued --take--> sending --> sent
        ^                  |                 |   \\--> failed (a 4xx, or out of attempts)
        |--lease expired---/                 |--> scheduled (retry with backoff, or
        |--------------------------------------    the breaker is open: no attempt used)
    scheduled|queued --> cancelled (no longer true: superseded) | expired (too late)

The statuses are ``Message.Status`` on the model, the kinds ``kinds.Kind``.
The modules that move a row between them follow that order, and nothing else
writes to message rows:

- ``outbox``: ``messages_write`` (any service, inside its transaction),
  ``messages_supersede`` (withdraw what a change made untrue) and
  ``message_retry_now`` (staff's "retry now").
- ``dispatch``: beat's dispatcher claims due rows (``scheduled -> queued``),
  queues one send task per claim and recovers claims whose lease ran out.
- ``delivery``: the send task takes its claim (``queued -> sending``), calls
  the provider behind the breaker and records the outcome under the claim:
  sent, a retry, failed or expired.

Beside them: ``texts`` renders the words per kind and language, ``providers``
sends over WhatsApp and ``breaker`` guards it; ``webhook`` reads the
provider's webhook, ``api`` receives it, and ``inbound`` records its delivery
statuses (only forwards) and customers' replies.

Exactly once, in effect:

- The dispatcher claims a due row (``scheduled -> queued``) under a fresh
  claim token and queues a task with the id and the token. A task only acts
  if it can move ``queued -> sending`` under that same token, so a duplicated
  or redelivered task, or one whose row was reclaimed, does nothing.
- The row is ``sending`` while the provider is called, outside any
  transaction; the result is written back under the token.
- A worker killed during a send leaves the row ``sending``. Once its lease
  (longer than the task's hard time limit) has passed, the dispatcher knows
  the worker is gone but not whether the provider got the message. If the
  provider drops repeats of an idempotency key (``WHATSAPP_IDEMPOTENT``), the
  message goes out again under the same key; if not, it is marked failed for
  a person to check rather than risk a second message. A read timeout (sent,
  no answer) is the same doubt and gets the same answer.

What is left: with an idempotent provider, nothing that we can see. Without
one, no duplicate either, but a message whose outcome is unknown is not sent
again on its own (status failed, "outcome unknown", admin "retry now"). Both
rest on the task's hard time limit being shorter than the lease and on the
clocks of the machines agreeing to well within the difference (a minute).
"""
