"""Floor 1, the lowest: reading mail. Pure (no database, network or clock): raw bytes -> text, quotes, automatic-mail signs, contacts, language. Imports nothing of the gateway above it."""
