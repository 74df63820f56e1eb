from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the LINE PNP platform and SMS gateway simulator (see line_sandbox/README.md)."
    requires_system_checks = ()
    requires_migrations_checks = False

    def add_arguments(self, parser):
        from line_sandbox.cli import add_arguments

        add_arguments(parser)

    def handle(self, *args, **options):
        from line_sandbox.cli import run

        code = run(options)
        if code:
            raise SystemExit(code)
