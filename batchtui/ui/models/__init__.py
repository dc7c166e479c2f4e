"""Pure view models of the dashboard: plain data the screens render, built from core objects."""
