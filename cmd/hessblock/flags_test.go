package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The old spellings -act (sweep) and -out (reproduce) stay aliases of the
// names every subcommand now shares, -activation and -o.
func TestFlagAliases(t *testing.T) {
	dir := t.TempDir()
	list := func(act string) string {
		code, stdout, stderr := runCmd(t, "sweep", "-n", "-model", "mlp", act, "tanh", "-C", "2", "-seeds", "1", "-o", filepath.Join(dir, "s.jsonl"))
		if code != 0 {
			t.Fatalf("sweep %s: exit %d: %s", act, code, stderr)
		}
		return stdout
	}
	a, b := list("-act"), list("-activation")
	if a != b || a == "" {
		t.Errorf("-act and -activation list different grids:\n%s\n%s", a, b)
	}
	if code, _, stderr := runCmd(t, "sweep", "-n", "-spec", filepath.Join(dir, "none.json"), "-act", "relu"); code != 2 || !strings.Contains(stderr, "exclusive") {
		t.Errorf("-spec with the alias -act: exit %d, stderr %q; want 2 and the flags named exclusive", code, stderr)
	}
}
