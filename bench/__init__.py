"""The batchtui benchmark harness: seeded data, loopback emulator, one table (see README.md)."""
