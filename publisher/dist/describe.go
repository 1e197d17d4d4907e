package dist

import (
	"fmt"
	"strings"
)

// descriptionRenderError is PyPI's last metadata rule: the description
// must render (warehouse/forklift/legacy.py renders it with
// readme_renderer and refuses the upload when that fails). Markdown and
// plain text always render; reStructuredText — the default when there is
// no Description-Content-Type — fails on any docutils warning (CheckRST).
func descriptionRenderError(form formView) (Severity, string) {
	desc := form.one("description")
	if desc == "" {
		return "", ""
	}
	declared := form.one("description_content_type")
	if descriptionMediaType(declared) != "text/x-rst" {
		return "", ""
	}
	renders, problems, err := CheckRST(desc)
	if err != nil {
		return SeverityWarning, fmt.Sprintf("the reStructuredText description (%d bytes) was not checked: %v; PyPI renders it on upload and refuses it if it does not render (check it with `python -m readme_renderer`)", len(desc), err)
	}
	if renders {
		return "", ""
	}
	var b strings.Builder
	if declared == "" {
		b.WriteString("the description does not render as reStructuredText, the format PyPI assumes when Description-Content-Type is not set, so PyPI refuses the upload (\"The description failed to render in the default format of reStructuredText. See https://pypi.org/help/#description-content-type for more information.\"): ")
	} else {
		fmt.Fprintf(&b, "the description (Description-Content-Type: %s) does not render, so PyPI refuses the upload (\"The description failed to render for '%s'. See https://pypi.org/help/#description-content-type for more information.\"): ", declared, declared)
	}
	const shown = 3
	for i, p := range problems {
		if i == shown {
			fmt.Fprintf(&b, "; and %d more", len(problems)-shown)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, "description line %d: %s", p.Line, p.Message)
		} else {
			b.WriteString(p.Message)
		}
	}
	if !strings.HasSuffix(b.String(), ".") {
		b.WriteString(".")
	}
	b.WriteString(" Fix the README (lines count from its first line; `python -m readme_renderer README.rst` shows the same errors)")
	if declared == "" {
		b.WriteString(", or, if it is Markdown, declare it: Description-Content-Type: text/markdown (readme = \"README.md\" in pyproject.toml)")
	}
	return SeverityError, b.String()
}

// descriptionMediaType is what Warehouse renders by: the declared content
// type (text/x-rst when none) reduced to "type/subtype" the way Python's
// email.message.get_content_type does (text/plain when malformed).
func descriptionMediaType(declared string) string {
	if declared == "" {
		return "text/x-rst"
	}
	mt, _, _ := strings.Cut(declared, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if strings.Count(mt, "/") != 1 {
		return "text/plain"
	}
	return mt
}
