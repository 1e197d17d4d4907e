package workflowcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// root is the repository, from this package's directory.
const root = "../.."

// workflowFile is one workflow to check: a file of the repository, or a
// snippet of a Markdown file starting at line offset+1.
type workflowFile struct {
	source string // the path shown in errors, relative to the repository
	offset int    // lines before the workflow's first line in source
	text   string
}

// repositoryWorkflows returns every .github/workflows/*.yml (and .yaml) of
// the repository, the example's included.
func repositoryWorkflows(t *testing.T) []workflowFile {
	t.Helper()
	var out []workflowFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		ext := filepath.Ext(path)
		if d.IsDir() || (ext != ".yml" && ext != ".yaml") || filepath.Base(filepath.Dir(path)) != "workflows" ||
			filepath.Base(filepath.Dir(filepath.Dir(path))) != ".github" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, workflowFile{source: filepath.ToSlash(rel), text: string(data)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no workflow found in the repository: the walk is broken")
	}
	return out
}

// markdownFiles are the documents whose workflow snippets are checked.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	files := []string{filepath.Join(root, "README.md")}
	for _, pat := range []string{"docs/*.md", "examples/*/*.md", "examples/*/*/*.md"} {
		m, err := filepath.Glob(filepath.Join(root, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

var fence = regexp.MustCompile("^(\\s*)(```+)\\s*(\\S*)")

// snippetWorkflows returns the workflow snippets of the documents; the
// problems found on the way are TestSnippetsAreComplete's to report.
func snippetWorkflows(t *testing.T) []workflowFile {
	wfs, _ := documentWorkflows(t)
	return wfs
}

// TestSnippetsAreComplete: every workflow quoted in the docs can be
// checked, so none lacks its trigger.
func TestSnippetsAreComplete(t *testing.T) {
	_, problems := documentWorkflows(t)
	for _, p := range problems {
		t.Error(p)
	}
}

func documentWorkflows(t *testing.T) (out []workflowFile, problems []string) {
	t.Helper()
	for _, path := range markdownFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		wfs, ps := extractWorkflows(filepath.ToSlash(rel), string(data))
		out, problems = append(out, wfs...), append(problems, ps...)
	}
	return out, problems
}

// extractWorkflows returns the ```yaml blocks of a Markdown document that
// are workflows (a top-level jobs: key). A block with jobs: but no on: is
// a problem: actionlint cannot check a workflow without its trigger.
func extractWorkflows(source, markdown string) (out []workflowFile, problems []string) {
	for _, yb := range yamlBlocks(markdown) {
		start, text := yb.start, yb.text
		var top map[string]any
		if yaml.Unmarshal([]byte(text), &top) != nil {
			continue // not a mapping: a fragment, not a workflow
		}
		if _, ok := top["jobs"]; !ok {
			continue
		}
		if _, ok := top["on"]; !ok {
			problems = append(problems, fmt.Sprintf("%s:%d: a workflow snippet (jobs:) without on:: quote the whole workflow so actionlint checks it, or only the job", source, start+1))
			continue
		}
		out = append(out, workflowFile{source: source, offset: start + 1, text: text})
	}
	return out, problems
}

func allWorkflows(t *testing.T) []workflowFile {
	return append(repositoryWorkflows(t), snippetWorkflows(t)...)
}

func findTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// TestActionlint runs actionlint on every workflow and snippet; its errors
// are reported at their line in the workflow file or the Markdown document.
func TestActionlint(t *testing.T) {
	actionlint := findTool("actionlint")
	if actionlint == "" {
		t.Skip("actionlint is not installed: go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 (scripts/test does)")
	}
	if findTool("shellcheck") == "" {
		t.Log("shellcheck is not installed: run: scripts are not checked (apt-get install shellcheck; scripts/test does)")
	}
	// actionlint recognises workflows by their directory: every file goes
	// to a .github/workflows of its own, named after where it came from.
	dir := filepath.Join(t.TempDir(), ".github", "workflows")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	byFile := map[string]workflowFile{}
	var args []string
	for i, wf := range allWorkflows(t) {
		name := fmt.Sprintf("%03d-%s.yml", i, regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(wf.source, "-"))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(wf.text), 0o644); err != nil {
			t.Fatal(err)
		}
		byFile[filepath.ToSlash(filepath.Join(".github", "workflows", name))] = wf
		args = append(args, filepath.Join(".github", "workflows", name))
	}
	cmd := exec.Command(actionlint, append([]string{"-no-color", "-format", "{{json .}}"}, args...)...)
	cmd.Dir = filepath.Dir(filepath.Dir(dir))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code > 1 || (err != nil && code < 0) {
		t.Fatalf("actionlint failed to run: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	var problems []struct {
		Message  string `json:"message"`
		Filepath string `json:"filepath"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
		Kind     string `json:"kind"`
	}
	if out := bytes.TrimSpace(stdout.Bytes()); len(out) > 0 {
		if err := json.Unmarshal(out, &problems); err != nil {
			t.Fatalf("actionlint's output is not its JSON: %v\n%s", err, out)
		}
	}
	for _, p := range problems {
		wf, ok := byFile[filepath.ToSlash(p.Filepath)]
		if !ok {
			t.Errorf("actionlint: %s:%d:%d: %s [%s]", p.Filepath, p.Line, p.Column, p.Message, p.Kind)
			continue
		}
		t.Errorf("%s:%d:%d: %s [%s]", wf.source, wf.offset+p.Line, p.Column, p.Message, p.Kind)
	}
	if err != nil && len(problems) == 0 {
		t.Fatalf("actionlint: %v\n%s", err, stderr.String())
	}
	t.Logf("actionlint checked %d workflows", len(args))
}

var (
	usesLine   = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(?:#\s*(.*))?$`)
	pinnedRef  = regexp.MustCompile(`@[0-9a-f]{40}$`)
	versionTag = regexp.MustCompile(`^v\d+\.\d+\.\d+\b`)
	installAt  = regexp.MustCompile(`go install\s+\S*goreleaser-pypi/cmd/goreleaser-pypi@(\S+)`)
)

// TestWorkflowRules holds every workflow and snippet to the rules the docs
// promise users.
func TestWorkflowRules(t *testing.T) {
	for _, wf := range allWorkflows(t) {
		where := func(i int) string { return fmt.Sprintf("%s:%d", wf.source, wf.offset+i+1) }
		for i, line := range strings.Split(wf.text, "\n") {
			if m := usesLine.FindStringSubmatch(line); m != nil {
				ref, comment := m[1], strings.TrimSpace(m[2])
				if strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "docker://") {
					continue
				}
				if !pinnedRef.MatchString(ref) {
					t.Errorf("%s: %s is not pinned by a full commit SHA", where(i), ref)
				} else if !versionTag.MatchString(comment) {
					t.Errorf("%s: %s: say which version the SHA is in a comment, e.g. # v1.2.3", where(i), ref)
				}
			}
			if m := installAt.FindStringSubmatch(line); m != nil && (m[1] == "latest" || strings.HasPrefix(m[1], "master") || strings.HasPrefix(m[1], "main")) {
				t.Errorf("%s: goreleaser-pypi installed @%s: pin a version", where(i), m[1])
			}
		}

		var doc struct {
			Jobs map[string]struct {
				Steps []struct {
					Uses string         `yaml:"uses"`
					With map[string]any `yaml:"with"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal([]byte(wf.text), &doc); err != nil {
			t.Errorf("%s: %v", wf.source, err)
			continue
		}
		for name, job := range doc.Jobs {
			for _, st := range job.Steps {
				if strings.HasPrefix(st.Uses, "actions/checkout@") && st.With["persist-credentials"] != false {
					t.Errorf("%s: job %s: actions/checkout without persist-credentials: false (the token would stay in .git/config for every later step)", wf.source, name)
				}
			}
		}
	}
}

// yamlBlock is a ```yaml block of a Markdown document, without the
// indentation of the list item it may sit in; start is its fence's line.
type yamlBlock struct {
	start int
	text  string
}

func yamlBlocks(markdown string) (out []yamlBlock) {
	lines := strings.Split(markdown, "\n")
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		start, indent, ticks, lang := i, m[1], m[2], m[3]
		var block []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != ticks; i++ {
			block = append(block, strings.TrimPrefix(lines[i], indent))
		}
		if lang == "yaml" || lang == "yml" {
			out = append(out, yamlBlock{start: start, text: strings.Join(block, "\n") + "\n"})
		}
	}
	return out
}

// TestDocsQuoteTheREADMEPublisher: docs/trusted-publishing.md shows the
// custom publisher block of README.md verbatim (issue 12 keeps that block
// working unchanged); a copy without --config once drifted there.
func TestDocsQuoteTheREADMEPublisher(t *testing.T) {
	read := func(path string) string {
		data, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	var readme string
	for _, b := range yamlBlocks(read("README.md")) {
		if strings.Contains(b.text, "publishers:") {
			readme = b.text
			break
		}
	}
	if readme == "" {
		t.Fatal("README.md has no ```yaml block with publishers:: the extraction is broken")
	}
	for _, b := range yamlBlocks(read("docs/trusted-publishing.md")) {
		if b.text == readme {
			return
		}
	}
	t.Fatalf("docs/trusted-publishing.md does not quote README.md's custom publisher block verbatim in a ```yaml block: copy it:\n%s", readme)
}

// TestDocsQuoteTheExampleWorkflow: docs/workflows.md shows the example's
// recommended workflow verbatim, so the two cannot drift apart.
func TestDocsQuoteTheExampleWorkflow(t *testing.T) {
	example, err := os.ReadFile(filepath.Join(root, "examples", "polyglot", ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, wf := range snippetWorkflows(t) {
		if wf.source == "docs/workflows.md" && wf.text == string(example) {
			return
		}
	}
	t.Fatal("docs/workflows.md does not quote examples/polyglot/.github/workflows/release.yml verbatim in a ```yaml block: copy the file into it")
}

// TestSnippetExtraction checks the extraction itself on a document with a
// complete workflow (indented in a list item), a job without a trigger, a
// settings fragment and a shell block.
func TestSnippetExtraction(t *testing.T) {
	doc := strings.Join([]string{
		"# Title",
		"",
		"1. A workflow:",
		"",
		"   ```yaml",
		"   on: push",
		"   jobs:",
		"     a:",
		"       runs-on: ubuntu-latest",
		"       steps: [{run: echo}]",
		"   ```",
		"",
		"```yaml",
		"jobs:",
		"  b: {}",
		"```",
		"",
		"```yaml",
		"targets:",
		"  - name: pypi",
		"```",
		"",
		"```sh",
		"jobs: not yaml here",
		"```",
	}, "\n")
	wfs, problems := extractWorkflows("doc.md", doc)
	if len(wfs) != 1 || wfs[0].offset != 5 || !strings.HasPrefix(wfs[0].text, "on: push\njobs:\n  a:\n") {
		t.Fatalf("workflows %+v", wfs)
	}
	if len(problems) != 1 || !strings.HasPrefix(problems[0], "doc.md:13: a workflow snippet (jobs:) without on:") {
		t.Fatalf("problems %q", problems)
	}
}
