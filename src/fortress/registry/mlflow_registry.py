"""``ModelRegistry`` on MLflow: SQLite + local files by default, PostgreSQL + S3 when configured."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from fortress.catalog.spec import PROBABILITIES_OUTPUT, ModelSpec
from fortress.errors import NotFound, RegistryError
from fortress.registry.base import (
    BASELINE_SHA_TAG,
    HEADLINE_TAG,
    ONNX_SHA_TAG,
    SPEC_SHA_TAG,
    Candidate,
    FetchedModel,
    VersionInfo,
    sha256_hex,
)
from fortress.registry.blobs import BlobCache
from fortress.registry.change_token import ChangeToken
from fortress.registry.settings import RegistrySettings

_META_DIR = "fortress"


def _canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


class MlflowRegistry:
    def __init__(self, settings: RegistrySettings, home: Path) -> None:
        """``home``: ``FORTRESS_HOME``, where the embedded SQLite store, artifacts and the blob cache live."""
        # MLflow reads these from the process environment; they come from our typed settings.
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        if settings.s3_endpoint_url:
            os.environ["MLFLOW_S3_ENDPOINT_URL"] = settings.s3_endpoint_url
        self._uri = settings.store_uri(home)
        if self._uri.startswith("sqlite:///"):
            Path(self._uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        from mlflow import MlflowClient

        self._settings = settings
        self._artifact_root = settings.artifact_root(home)
        try:
            self._client = MlflowClient(tracking_uri=self._uri, registry_uri=self._uri)
        except Exception as exc:  # MLflow raises many types for a bad store
            raise RegistryError(f"cannot open the MLflow registry at {self._uri}: {exc}") from exc
        self._blobs = BlobCache(home / "cache" / "blobs")
        self._token = ChangeToken(self._uri) if ChangeToken.supports(self._uri) else None

    def registered_name(self, name: str) -> str:
        return f"{self._settings.model_prefix}{name}"

    def _experiment_id(self) -> str:
        name = self._settings.experiment
        experiment = self._client.get_experiment_by_name(name)
        if experiment is not None:
            return str(experiment.experiment_id)
        return str(self._client.create_experiment(name, artifact_location=self._artifact_root))

    def register(self, candidate: Candidate) -> VersionInfo:
        import onnx
        from mlflow.models import infer_signature

        mlflow = self._use_globals()

        spec_json = _canonical_json(candidate.spec.to_dict())
        baseline_json = _canonical_json(candidate.baseline)
        name = self.registered_name(candidate.spec.name)
        tags = {
            **candidate.tags,
            ONNX_SHA_TAG: sha256_hex(candidate.onnx),
            SPEC_SHA_TAG: sha256_hex(spec_json),
            BASELINE_SHA_TAG: sha256_hex(baseline_json),
            HEADLINE_TAG: candidate.headline_metric,
        }
        signature = infer_signature(candidate.input_example, {PROBABILITIES_OUTPUT: candidate.output_example})
        with mlflow.start_run(experiment_id=self._experiment_id(), run_name=candidate.spec.name):
            mlflow.set_tags(tags)
            mlflow.log_params({k: str(v)[:500] for k, v in candidate.params.items()})
            mlflow.log_metrics(candidate.metrics)
            mlflow.log_text(spec_json.decode(), f"{_META_DIR}/spec.json")
            mlflow.log_text(baseline_json.decode(), f"{_META_DIR}/baseline.json")
            with contextlib.redirect_stderr(io.StringIO()):  # MLflow prints "Successfully registered..."
                logged = mlflow.onnx.log_model(
                    onnx.load_from_string(candidate.onnx),
                    name="model",
                    signature=signature,
                    pip_requirements=["onnxruntime>=1.32"],
                    registered_model_name=name,
                    save_as_external_data=False,  # one self-contained file, byte-identical to ours
                )
        version = int(logged.registered_model_version)
        for key, value in tags.items():
            self._client.set_model_version_tag(name, str(version), key, value)
        return self._version(name, version, with_metrics=True)

    def _version(
        self, name: str, version: int, run_id: str | None = None, *, with_metrics: bool
    ) -> VersionInfo:
        mv = self._client.get_model_version(name, str(version))
        return self._info(mv, with_metrics=with_metrics)

    def _info(self, mv: Any, *, with_metrics: bool) -> VersionInfo:
        metrics: dict[str, float] = {}
        if with_metrics and mv.run_id:
            metrics = dict(self._client.get_run(mv.run_id).data.metrics)
        prefix = self._settings.model_prefix
        return VersionInfo(
            name=str(mv.name)[len(prefix) :],
            version=int(mv.version),
            aliases=tuple(sorted(mv.aliases or ())),
            run_id=str(mv.run_id or ""),
            tags=dict(mv.tags or {}),
            metrics=metrics,
            created_ms=int(mv.creation_timestamp or 0),
        )

    def model_names(self) -> list[str]:
        prefix = self._settings.model_prefix
        names = [m.name for m in self._client.search_registered_models(max_results=1000)]
        return sorted(n[len(prefix) :] for n in names if n.startswith(prefix))

    def versions(self, name: str, *, with_metrics: bool = True) -> list[VersionInfo]:
        registered = self.registered_name(name)
        model = self._call(lambda: self._client.get_registered_model(registered), name)
        by_version: dict[int, list[str]] = {}
        for alias, version in (model.aliases or {}).items():
            by_version.setdefault(int(version), []).append(alias)
        found = self._client.search_model_versions(f"name = '{registered}'")
        infos = [
            dataclasses.replace(
                self._info(mv, with_metrics=with_metrics),
                aliases=tuple(sorted(by_version.get(int(mv.version), []))),
            )
            for mv in found
        ]
        return sorted(infos, key=lambda v: v.version)

    def set_alias(self, name: str, alias: str, version: int) -> None:
        self._call(
            lambda: self._client.set_registered_model_alias(self.registered_name(name), alias, str(version)),
            f"{name} version {version}",
        )

    def change_token(self) -> str | None:
        """See ``ModelRegistry.change_token``: read from the SQL store (``registry/change_token.py``)."""
        if self._token is None:
            return None
        try:
            return self._token.read()
        except Exception as exc:  # SQLAlchemy and DBAPI errors of every driver
            raise RegistryError(f"cannot read the registry's change token: {exc}") from exc

    def get_alias(self, name: str, alias: str) -> VersionInfo:
        mv = self._call(
            lambda: self._client.get_model_version_by_alias(self.registered_name(name), alias),
            f"{name}@{alias}",
        )
        return self._info(mv, with_metrics=False)

    def delete_alias(self, name: str, alias: str) -> None:
        self._call(
            lambda: self._client.delete_registered_model_alias(self.registered_name(name), alias),
            f"{name}@{alias}",
        )

    def resolve(self, name: str, ref: str | int) -> VersionInfo:
        if isinstance(ref, int) or str(ref).isdigit():
            mv = self._call(
                lambda: self._client.get_model_version(self.registered_name(name), str(ref)),
                f"{name} version {ref}",
            )
            return self._info(mv, with_metrics=False)
        return self.get_alias(name, str(ref))

    def fetch(self, name: str, ref: str | int) -> FetchedModel:
        info = self.resolve(name, ref)
        registered = self.registered_name(name)

        def model_file() -> bytes:
            return self._download(f"models:/{registered}/{info.version}", "model.onnx")

        def meta_file(file: str) -> bytes:
            return self._download(f"runs:/{info.run_id}/{_META_DIR}/{file}", file)

        try:
            onnx_path = self._blobs.get_or_fetch(info.tags[ONNX_SHA_TAG], ".onnx", model_file)
            spec_path = self._blobs.get_or_fetch(
                info.tags[SPEC_SHA_TAG], ".json", lambda: meta_file("spec.json")
            )
            base_path = self._blobs.get_or_fetch(
                info.tags[BASELINE_SHA_TAG], ".json", lambda: meta_file("baseline.json")
            )
        except KeyError as exc:
            raise RegistryError(
                f"{name} version {info.version} was not registered by Fortress ({exc})"
            ) from None
        except ValueError as exc:
            raise RegistryError(f"{name} version {info.version}: {exc}") from None
        spec = ModelSpec.from_dict(json.loads(spec_path.read_bytes()))
        return FetchedModel(spec, onnx_path, json.loads(base_path.read_bytes()), info)

    def _use_globals(self) -> Any:
        """MLflow's fluent API (log_model, download_artifacts of models:/ URIs) reads process globals."""
        import mlflow

        mlflow.set_tracking_uri(self._uri)
        mlflow.set_registry_uri(self._uri)
        return mlflow

    def _download(self, uri: str, file: str) -> bytes:
        mlflow = self._use_globals()
        with tempfile.TemporaryDirectory() as tmp:
            local = self._call(
                lambda: mlflow.artifacts.download_artifacts(
                    artifact_uri=uri if uri.endswith(file) else f"{uri}/{file}",
                    dst_path=tmp,
                    tracking_uri=self._uri,
                ),
                uri,
            )
            path = Path(local)
            return (path / file if path.is_dir() else path).read_bytes()

    def _call(self, action: Any, what: str) -> Any:
        from mlflow.exceptions import MlflowException

        try:
            return action()
        except MlflowException as exc:
            if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}:
                raise NotFound(f"not in the registry: {what}") from None
            raise RegistryError(f"registry error for {what}: {exc.message}") from exc
