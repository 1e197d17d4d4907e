// Package workflowcheck holds no code: its tests check every GitHub Actions
// workflow of the repository (the example's .github/workflows) and every
// complete workflow quoted in the documentation (```yaml blocks with on:
// and jobs: in README.md, docs/ and examples/) with actionlint (and the
// shellcheck it runs on run: scripts), and hold them to the project's
// rules: third-party actions pinned by full commit SHA with the version in
// a comment, checkouts that do not persist credentials, goreleaser-pypi
// installed at a pinned version, the docs' copy of the recommended
// workflow identical to the example's, and docs/trusted-publishing.md's
// custom publisher block identical to README.md's.
package workflowcheck
