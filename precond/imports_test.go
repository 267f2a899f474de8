package precond

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports: precond takes H as a matrix or an operator and plain index
// ranges, so that it stays independent of how H is computed: no file of
// the package, tests included, imports numerics or theory.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files: %v", err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		ast, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, banned := range []string{"/numerics", "/theory"} {
				if strings.HasPrefix(path, "github.com/hessblock/hessblock") && strings.HasSuffix(path, banned) {
					t.Errorf("%s imports %s", f, path)
				}
			}
		}
	}
}
