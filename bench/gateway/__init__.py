"""Gateway benchmark: the twelve-model investigation through the floor, `fortress up` (local backend) and
`fortress up` calling `fortress serve` over HTTP, under the same wrk load; plus 10,000 open connections."""
