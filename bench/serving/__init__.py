"""Model-server benchmark: the floor, `fortress serve` and MLServer under the same wrk load."""
