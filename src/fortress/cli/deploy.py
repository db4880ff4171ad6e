"""``fortress deploy render``: Kubernetes manifests for an environment (docs/DEPLOY.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Kubernetes manifests (deploy/k8s): render an environment.", no_args_is_help=True)


@app.command("render")
def render_command(
    env: Annotated[str, typer.Option("--env", help="staging or production.")],
    image_tag: Annotated[
        str | None, typer.Option("--image-tag", help="Tag of the Fortress images (default: the overlay's).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write DIR/fortress-ENV.yaml instead of printing.")
    ] = None,
    k8s_dir: Annotated[
        Path | None, typer.Option("--k8s-dir", help="Kustomize tree (default: deploy/k8s here).")
    ] = None,
) -> None:
    """Render deploy/k8s/overlays/ENV with kubectl kustomize, optionally with another image tag."""
    from fortress.deploy.render import render, write

    text = render(env, image_tag, k8s_dir)
    if out is None:
        typer.echo(text, nl=False)
        return
    path = write(text, env, out)
    typer.echo(f"wrote {path}", err=True)
