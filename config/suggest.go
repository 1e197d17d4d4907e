package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// secretKeys are keys people write when they try to put a credential in the
// file. The answer is never "did you mean": secrets do not belong here.
var secretKeys = []string{"password", "token", "api_token", "pypi_token", "api_key", "apikey", "secret"}

// aliases are other tools' names (twine, uv, gh-action-pypi-publish,
// GoReleaser) for our keys, which edit distance would not find.
var aliases = map[string]string{
	"url":               "repository_url",
	"repo_url":          "repository_url",
	"upload_url":        "repository_url",
	"index_url":         "repository_url",
	"publish_url":       "repository_url",
	"id":                "ids",
	"build":             "ids",
	"builds":            "ids",
	"build_ids":         "ids",
	"retries":           "retry",
	"max_retries":       "retry",
	"parallelism":       "concurrency",
	"jobs":              "concurrency",
	"workers":           "concurrency",
	"parallel":          "concurrency",
	"oidc":              "trusted_publishing",
	"trusted_publisher": "trusted_publishing",
	"disabled":          "disable",
	"skip":              "disable",
	"skip_upload":       "disable",
	"max_size":          "max_file_size",
	"retry_attempts":    "retry",
	"user":              "username",
	"repository_name":   "repository",
}

// unknownKey explains an unknown key found in the mapping scope ("" for the
// top level, "target", "retry"), whose known keys are known.
func unknownKey(key, prefix, scope string, known []string) string {
	where := ""
	switch scope {
	case "":
		where = " at the top level"
	case "target":
	default:
		where = " in " + scope
	}
	norm := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(key)), "-", "_")

	if slices.Contains(secretKeys, norm) {
		return fmt.Sprintf("unknown key %q%s: credentials do not belong in this file; export the API token in an environment variable and name that variable with token_env (default %s), "+
			"a password with password_env (default %s), or use trusted publishing", key, where, DefaultTokenEnv, DefaultPasswordEnv)
	}
	if slices.Contains(known, norm) {
		return fmt.Sprintf("unknown key %q%s: did you mean %q? (keys are snake_case)", key, where, norm)
	}
	if scope == "" {
		targetKeys, _ := yamlFields(targetType)
		if slices.Contains(targetKeys, norm) || aliases[norm] != "" {
			return fmt.Sprintf("unknown key %q%s: settings belong to a target; put them under targets:, e.g.\n  targets:\n    - name: pypi\n      %s: ...", key, where, firstNonEmpty(aliases[norm], norm))
		}
	}
	if a := aliases[norm]; a != "" && slices.Contains(known, a) {
		return fmt.Sprintf("unknown key %q%s: did you mean %q?", key, where, a)
	}
	if best := closest(norm, known); best != "" {
		return fmt.Sprintf("unknown key %q%s: did you mean %q?", key, where, best)
	}
	return fmt.Sprintf("unknown key %q%s (known keys: %s)", key, where, strings.Join(known, ", "))
}

// Closest returns the known name nearest to name by edit distance, if it is
// near enough to be a typo (at most 2 edits, or a third of its length), or
// "". Settings keys and GoReleaser build ids are suggested with it.
func Closest(name string, known []string) string { return closest(name, known) }

func closest(key string, known []string) string {
	best, bestDist := "", -1
	for _, k := range known {
		d := levenshtein(key, k)
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist < 0 || bestDist > max(2, len(key)/3) {
		return ""
	}
	return best
}

// levenshtein is the edit distance between a and b (insertions, deletions,
// substitutions), on bytes: keys are ASCII.
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Keys returns the keys a target accepts, for documentation and completion.
func Keys() []string {
	keys, _ := yamlFields(reflect.TypeFor[Target]())
	return keys
}
