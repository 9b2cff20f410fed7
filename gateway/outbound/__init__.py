"""Floor 4: mail leaving: outbox rows (enqueue), templates (compose), the worker that sends (outbox), transports and SMS."""
