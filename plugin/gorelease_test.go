package plugin

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/goreleaser/goreleaser/v2/pkg/context"
)

// addArtifact adds an artifact to a real GoReleaser context, as a builder
// does with ctx.Artifacts.Add(&artifact.Artifact{...}).
//
// GoReleaser's artifact package is internal, so code outside GoReleaser
// cannot name artifact.Artifact or artifact.PyWheel. The values are built
// through reflection on the exported method's parameter type instead, and the
// type constant is found by its String() ("Wheel", "Source Dist"), the same
// stable name the plugin filters on: a renumbered enum cannot fool it.
func addArtifact(t *testing.T, ctx *context.Context, name, path, typeName string, extra map[string]any) {
	t.Helper()
	add := reflect.ValueOf(ctx.Artifacts).MethodByName("Add")
	ptr := reflect.New(add.Type().In(0).Elem()) // *artifact.Artifact
	a := ptr.Elem()
	a.FieldByName("Name").SetString(name)
	a.FieldByName("Path").SetString(path)
	a.FieldByName("Goos").SetString("all")
	a.FieldByName("Goarch").SetString("all")
	a.FieldByName("Target").SetString("none-any")
	a.FieldByName("Type").Set(artifactType(t, a.FieldByName("Type").Type(), typeName))
	ex := reflect.MakeMap(a.FieldByName("Extra").Type())
	for k, v := range extra {
		ex.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(v))
	}
	a.FieldByName("Extra").Set(ex)
	add.Call([]reflect.Value{ptr})
}

// artifactType finds the artifact.Type whose String() is name.
func artifactType(t *testing.T, typ reflect.Type, name string) reflect.Value {
	t.Helper()
	for i := range 256 {
		v := reflect.New(typ).Elem()
		v.SetInt(int64(i))
		if s, ok := v.Interface().(fmt.Stringer); ok && s.String() == name {
			return v
		}
	}
	t.Fatalf("GoReleaser has no artifact type named %q", name)
	return reflect.Value{}
}

func TestAddArtifactIsReal(t *testing.T) {
	ctx := context.Wrap(t.Context(), configProject())
	addArtifact(t, ctx, "x-1.0-py3-none-any.whl", "dist/x-1.0-py3-none-any.whl", "Wheel", map[string]any{"ID": "w"})
	addArtifact(t, ctx, "x-1.0.tar.gz", "dist/x-1.0.tar.gz", "Source Dist", map[string]any{"ID": "s"})
	addArtifact(t, ctx, "checksums.txt", "dist/checksums.txt", "Checksum", nil)
	got := ctx.Artifacts.List()
	if len(got) != 3 || got[0].Type.String() != "Wheel" || got[1].Type.String() != "Source Dist" || got[1].ID() != "s" {
		t.Fatalf("artifacts: %+v", got)
	}
}
