"""Placeholder, being written now."""

urlpatterns: list = []
