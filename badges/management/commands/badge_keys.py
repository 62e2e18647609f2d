"""Badge signing keys: make a new one, or show the public keys in use (docs/badges.md)."""

from __future__ import annotations

import json

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from badges import keys


class Command(BaseCommand):
    help = (
        "generate: print a new Ed25519 key pair; put its secret in front of BADGE_SIGNING_KEYS (newest first). "
        "show --controller ID: print the Multikey documents of every key a verifier may need."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        commands.add_parser("generate", help="print a new key pair (the secret goes to the environment only)")
        show = commands.add_parser("show", help="print the public Multikey documents of the configured keys")
        show.add_argument("--controller", required=True, help="the issuer's id, e.g. https://example.org/badges/issuer")

    def handle(self, *args, action, **options):
        if action == "generate":
            self._generate()
        else:
            self._show(options["controller"])

    def _generate(self):
        key = keys.generate()
        self.stdout.write(f"publicKeyMultibase: {key.public_key_multibase}")
        self.stdout.write(f"secretKeyMultibase: {key.secret_key_multibase}")
        self.stdout.write(
            "Put the secret first in BADGE_SIGNING_KEYS (comma-separated, newest first) and keep it with "
            "SECRET_KEY, never in the database or a backup of it. Nothing was stored."
        )

    def _show(self, controller: str):
        try:
            published = keys.published_public_keys()
        except (ImproperlyConfigured, keys.KeyFormatError) as error:
            raise CommandError(str(error)) from None
        documents = [keys.multikey_document(controller, value) for value in published]
        self.stdout.write(json.dumps(documents, indent=2))
