"""Floor 7: the running processes: daemon, runtime (the composition root's parts), health, logs, sd_notify, the deliver spool, the sources (IMAP, SMTP/LMTP, Maildir) and the web portal."""
