"""Fabric Gateway client (generic: knows nothing of trade finance or of the launcher)."""
