package oidc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Claims is the payload of an identity token, decoded WITHOUT verifying its
// signature: the index verifies it; we only read it to explain a refusal and
// to recognise single-use tokens. Claims are facts about the CI run
// (repository, workflow, ref...), not secrets, so they may be printed.
type Claims map[string]any

// Missing is what a claim absent from the token renders as.
const Missing = "MISSING"

// DebugClaims are the claims printed when the index refuses a token
// exchange, in this order: what a trusted publisher on PyPI is matched
// against.
var DebugClaims = []string{
	"sub", "repository", "repository_owner", "repository_owner_id",
	"workflow_ref", "job_workflow_ref", "ref", "environment",
}

// ParseClaims decodes the payload of a JWT (header.payload.signature)
// without verifying anything.
func ParseClaims(jwt string) (Claims, error) {
	parts := strings.Split(strings.TrimSpace(jwt), ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT (expected three dot-separated parts)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, errors.New("not a JWT (payload is not base64url)")
	}
	var c Claims
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil || c == nil {
		return nil, errors.New("not a JWT (payload is not a JSON object)")
	}
	return c, nil
}

// Get returns a claim as text, or Missing when the token does not have it.
func (c Claims) Get(name string) string {
	v, ok := c[name]
	if !ok || v == nil {
		return Missing
	}
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}

// has reports whether a claim is present and non-empty.
func (c Claims) has(name string) bool {
	s := c.Get(name)
	return s != Missing && s != ""
}

// Render is the claims block printed after a refused exchange, in the shape
// of pypa/gh-action-pypi-publish's so users can compare it with the
// publisher configured on the index.
func (c Claims) Render() string {
	var b strings.Builder
	b.WriteString("The claims below are for debugging only: do not use them to configure a trusted publisher\n")
	b.WriteString("unless they already match your expectations. A claim absent from the token is rendered as `" + Missing + "`.\n\n")
	for _, name := range DebugClaims {
		fmt.Fprintf(&b, "* `%s`: `%s`\n", name, printable(c.Get(name), 300))
	}
	return b.String()
}

// reusableWorkflow reports whether the token comes from a GitHub reusable
// workflow: the job's workflow (job_workflow_ref) differs from the workflow
// that started the run (workflow_ref).
func (c Claims) reusableWorkflow() bool {
	return c.has("workflow_ref") && c.has("job_workflow_ref") && c.Get("workflow_ref") != c.Get("job_workflow_ref")
}

// reusableWorkflowWarning explains why a reusable workflow may not match a
// trusted publisher.
func (c Claims) reusableWorkflowWarning() string {
	return "The claims of this token say the job runs in a reusable workflow. It was started by:\n\n" +
		"    " + c.Get("workflow_ref") + "\n\n" +
		"but the job itself runs:\n\n" +
		"    " + c.Get("job_workflow_ref") + "\n\n" +
		"PyPI matches a GitHub trusted publisher against `job_workflow_ref`, and reusable workflows are not\n" +
		"officially supported as trusted publishers: they are subject to breakage. Prefer publishing from a\n" +
		"job of the top-level workflow (see https://docs.pypi.org/trusted-publishers/troubleshooting/#reusable-workflows-on-github).\n"
}
