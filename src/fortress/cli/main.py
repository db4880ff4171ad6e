"""``fortress``: thin commands that build settings and call services.

Heavy libraries (MLflow, ONNX Runtime, torch, scikit-learn) are imported inside the commands
that need them, so ``fortress --help`` stays fast.
"""

from __future__ import annotations

import logging
import sys

import typer

from fortress.cli import (
    backup,
    cost,
    datasets,
    deploy,
    docs,
    dr,
    drift,
    features,
    keys,
    models,
    serve,
    train,
    up,
)
from fortress.errors import FortressError

app = typer.Typer(
    name="fortress",
    help="Fortress: train, register, serve and watch the security ML ensemble.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("train")(train.train_command)
app.command("up")(up.up_command)
app.command("serve")(serve.serve_command)
app.add_typer(models.app, name="models")
app.add_typer(datasets.app, name="datasets")
app.add_typer(docs.app, name="docs")
app.add_typer(keys.app, name="keys")
app.add_typer(features.app, name="features")
app.add_typer(drift.app, name="drift")
app.add_typer(backup.app, name="backup")
app.add_typer(dr.app, name="dr")
app.add_typer(cost.app, name="cost")
app.add_typer(deploy.app, name="deploy")


def main() -> None:
    # Logging is configured here, at the entry point, and nowhere in library code.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("mlflow", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        app()
    except FortressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
