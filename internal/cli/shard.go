package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// shardFromEnv resolves `--shard auto/N`, whose index comes from the
// environment: JOB_COMPLETION_INDEX, which a Kubernetes Indexed Job sets
// in each pod (0-based, so pod 0 runs shard 1/N). The image has no shell
// to do that arithmetic in, hence this. Any other spec is returned as is.
// prepareConfig (pipeline.go) calls it before parsing --shard.
func shardFromEnv(spec string, getenv func(string) string) (string, error) {
	rest, ok := strings.CutPrefix(spec, "auto/")
	if !ok {
		return spec, nil
	}
	raw := getenv("JOB_COMPLETION_INDEX")
	if raw == "" {
		return "", usagef("--shard %s takes the shard from JOB_COMPLETION_INDEX (set in a Kubernetes Indexed Job), which is not set: give --shard I/N", spec)
	}
	idx, err := strconv.Atoi(raw)
	n, err2 := strconv.Atoi(rest)
	if err != nil || err2 != nil || n < 1 || idx < 0 || idx >= n {
		return "", usagef("--shard %s with JOB_COMPLETION_INDEX=%q: want 0 <= index < N (set the Job's completions to N)", spec, raw)
	}
	return fmt.Sprintf("%d/%d", idx+1, n), nil
}
