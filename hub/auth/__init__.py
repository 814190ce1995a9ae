"""Staff accounts: passwords (Argon2id), a second factor (TOTP), sessions, and who may see what."""
