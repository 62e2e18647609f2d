"""Placeholder: being written now."""


def roster_import(request, **kwargs):
    raise NotImplementedError


def roster_export(request, **kwargs):
    raise NotImplementedError
