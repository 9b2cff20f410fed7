"""The customer portal (`gateway web`): file a complaint, follow it with its number
and secret, accept or reject the answer. A separate process that shares the
database with `gateway run`; everything it changes goes through the same pipeline
as mail, so the web and the mailbox can never disagree about a complaint."""
