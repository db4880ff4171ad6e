"""Rendering Fortress's Kubernetes manifests (deploy/k8s) for an environment: ``fortress deploy render``."""
