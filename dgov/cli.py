"""The `dgov` command: the platform's subcommands, mapped onto Django management commands.

    dgov init [--demo]          migrate and load reference data (and demo data)
    dgov serve [--host --port]  production server (gunicorn, several workers)
    dgov demo                   init --demo, print demo logins, serve
    dgov createadmin            create the first administrator (with TOTP)
    dgov token create USER      print a new API token (last line)
    dgov totp USER              current one-time code of a demo account
    dgov audit verify|export|purge
    dgov kms list|rotate NAME|rewrap-fields
    dgov node show|pair|list    federation: this node and its peers
    dgov sync pull|push|subscribe|publish|status
    dgov aggregate due|run JOB|list   data aggregation loads
    dgov check                  deployment self-check
    dgov manage ...             any Django management command
"""

import os
import shutil
import sys

COMMANDS = {
    "init": ("init", "migrate and load reference data (regions, departments, roles, calendar); --demo adds demo data"),
    "serve": ("serve", "run the production server (multi-worker gunicorn, static files served by the app)"),
    "demo": ("demo", "init --demo, print the demo logins, then serve on http://127.0.0.1:8000"),
    "createadmin": ("createadmin", "create an administrator with TOTP: --kind system (default), auditor or "
                                   "identity, optionally --region CODE"),
    "token": ("token", "API tokens: `dgov token create USERNAME` prints a new token as the last line"),
    "totp": ("totp", "print the current one-time code of a demo account"),
    "audit": ("audit", "audit log: `verify` the SM3 hash chain (exit 1 and the broken entry), `export`, `purge`"),
    "exchange-log": ("exchange_log", "data-service gateway log: `verify` the SM3 chain (or `--file` an export, "
                                     "offline), `export --output FILE` (JSON Lines), `seal`"),
    "node": ("node", "federation: `show` this node's code, URL and public key; `pair` with a peer node; `list`"),
    "sync": ("sync", "federation: `pull` subscribed feeds, `push` feeds to upstream peers (resume from the "
                     "checkpoint), `subscribe`, `publish`, `status`"),
    "kms": ("kms", "cryptography service keys: `list`, `rotate NAME`, `rewrap-fields` (re-encrypt personal data "
                   "under the latest field key)"),
    "aggregate": ("aggregate", "data aggregation: `due` runs the scheduled load jobs (cron), `run JOB_ID [--file F]`, "
                               "`list`"),
    "check": ("selfcheck", "deployment self-check (secret, keys, debug, database, migrations, crypto, font, …)"),
    "manage": (None, "run any Django management command, e.g. `dgov manage shell`"),
}


def prepare_metrics_dir(data_dir: str) -> str:
    """A fresh directory for prometheus_client's multiprocess mode (one file set per worker)."""
    path = os.path.join(os.path.abspath(data_dir), "metrics")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)
    return path


def usage() -> str:
    lines = ["usage: dgov <command> [options]", "", "commands:"]
    lines += [f"  {name:<12} {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "Settings come from DGOV_* environment variables (see docs/deployment.md).",
              "`dgov <command> --help` shows a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(usage() + "\n")
        return
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.stderr.write(f"dgov: unknown command {name!r}\n\n{usage()}\n")
        sys.exit(2)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dgov.settings.base")
    if name in ("serve", "demo") and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Must happen before prometheus_client is first imported (by Django's setup).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = prepare_metrics_dir(os.environ.get("DGOV_DATA_DIR", "./var"))
    from django.core.management import execute_from_command_line

    command = COMMANDS[name][0]
    execute_from_command_line(["dgov", *([command] if command else []), *rest])


if __name__ == "__main__":
    main()
