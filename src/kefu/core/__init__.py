"""Shared plumbing every domain app may import: errors, model base classes. No domain rules."""
