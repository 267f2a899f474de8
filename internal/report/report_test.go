package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleDoc() *Document {
	return &Document{Title: "T", Blocks: []Block{
		&Heading{Level: 2, Text: "Section"},
		&Paragraph{Text: "Run `go test` for **all** <tests> & see [data](data/x.jsonl)."},
		&Figure{Name: "fig", Caption: "A figure.", PNG: []byte("\x89PNG fake"), SVG: []byte("<svg/>")},
		&Table{Name: "tab", Caption: "A table.", Header: []string{"a", "b|c"}, Rows: [][]string{{"1", `x, "y"`}, {"2.5 ± 0.1", "`z`"}}},
		&List{Items: []string{"one", "two"}},
		&Code{Text: "hessblock reproduce\n"},
	}}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, sampleDoc()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.md", "report.html", "figures/fig.png", "figures/fig.svg", "tables/tab.md", "tables/tab.csv"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	for _, want := range []string{"# T\n", "## Section", "![Figure 1](figures/fig.png)", "**Table 1.** A table.", `| a | b\|c |`} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, want := range []string{"data:image/png;base64,", "<code>go test</code>", "<strong>all</strong>", "&lt;tests&gt; &amp;", `<td class="num">2.5 ± 0.1</td>`} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// Self-contained: no external stylesheet, script or image.
	for _, bad := range []string{"<link", "<script", "src=\"http", "src=\"figures/"} {
		if bytes.Contains(html, []byte(bad)) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "tables/tab.csv"))
	if want := "a,b|c\n1,\"x, \"\"y\"\"\"\n2.5 ± 0.1,z\n"; string(csv) != want {
		t.Errorf("CSV = %q, want %q", csv, want)
	}
	// Deterministic, and no temporary files left behind.
	dir2 := t.TempDir()
	if err := Write(dir2, sampleDoc()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"report.md", "report.html", "tables/tab.csv"} {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(dir2, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two writes", f)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left", e.Name())
		}
	}
}

func TestWriteRejectsBadDocuments(t *testing.T) {
	for name, doc := range map[string]*Document{
		"ragged table":   {Blocks: []Block{&Table{Name: "t", Header: []string{"a", "b"}, Rows: [][]string{{"1"}}}}},
		"path in name":   {Blocks: []Block{&Table{Name: "../t", Header: []string{"a"}}}},
		"empty figure":   {Blocks: []Block{&Figure{Name: "f"}}},
		"duplicate name": {Blocks: []Block{&Table{Name: "t", Header: []string{"a"}}, &Table{Name: "t", Header: []string{"a"}}}},
	} {
		if err := Write(t.TempDir(), doc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
