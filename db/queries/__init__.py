"""Reusable queries and small write helpers shared by the API and the activities."""
