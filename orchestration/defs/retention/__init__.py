"""Retention of stored personal data: expired live events and exports, erased couples."""
