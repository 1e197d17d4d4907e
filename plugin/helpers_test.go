package plugin

import "github.com/goreleaser/goreleaser/v2/pkg/config"

func configProject() config.Project {
	return config.Project{ProjectName: "polyglot", Dist: "dist"}
}
