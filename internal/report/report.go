package report

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"html"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hessblock/hessblock/internal/atomicfile"
)

// Document is a report: a title and a sequence of blocks, rendered in order.
type Document struct {
	Title  string
	Blocks []Block
}

// Block is one element of a Document: *Heading, *Paragraph, *List, *Code,
// *Figure or *Table.
type Block interface {
	markdown(b *bytes.Buffer, n *numbering)
	html(b *bytes.Buffer, n *numbering)
}

// numbering counts figures and tables as they are rendered.
type numbering struct{ figure, table int }

// Heading is a section title; Level 2 is a section, 3 a subsection.
type Heading struct {
	Level int
	Text  string
}

// Paragraph is running text. Inline markup is limited to `code`,
// **bold**, *italic* and [links](url), which both renderers understand.
type Paragraph struct{ Text string }

// List is a bulleted list of inline-marked-up items.
type List struct{ Items []string }

// Code is a preformatted block, e.g. a command line.
type Code struct{ Text string }

// Figure is a plot saved as PNG and SVG under figures/Name. The Markdown
// links the PNG (and the SVG beside it); the HTML embeds the PNG.
type Figure struct {
	Name    string // file stem, e.g. "heatmap_linear"
	Caption string
	PNG     []byte
	SVG     []byte
}

// Table is a table saved as tables/Name.md and tables/Name.csv and shown
// inline in both renderings.
type Table struct {
	Name    string
	Caption string
	Header  []string
	Rows    [][]string
}

// Write renders doc into dir: report.md, report.html, figures/*.png and
// *.svg, tables/*.md and *.csv. Every file is written atomically.
func Write(dir string, doc *Document) error {
	if err := doc.check(); err != nil {
		return err
	}
	for _, blk := range doc.Blocks {
		switch v := blk.(type) {
		case *Figure:
			if err := atomicfile.WriteFile(filepath.Join(dir, "figures", v.Name+".png"), v.PNG); err != nil {
				return err
			}
			if err := atomicfile.WriteFile(filepath.Join(dir, "figures", v.Name+".svg"), v.SVG); err != nil {
				return err
			}
		case *Table:
			if err := atomicfile.WriteFile(filepath.Join(dir, "tables", v.Name+".md"), v.Markdown()); err != nil {
				return err
			}
			c, err := v.CSV()
			if err != nil {
				return err
			}
			if err := atomicfile.WriteFile(filepath.Join(dir, "tables", v.Name+".csv"), c); err != nil {
				return err
			}
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, "report.md"), doc.Markdown()); err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, "report.html"), doc.HTML())
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func (doc *Document) check() error {
	seen := map[string]bool{}
	var errs []error
	for _, blk := range doc.Blocks {
		var name, kind string
		switch v := blk.(type) {
		case *Figure:
			name, kind = v.Name, "figure"
			if len(v.PNG) == 0 || len(v.SVG) == 0 {
				errs = append(errs, fmt.Errorf("report: figure %q has no PNG or SVG", v.Name))
			}
		case *Table:
			name, kind = v.Name, "table"
			for i, r := range v.Rows {
				if len(r) != len(v.Header) {
					errs = append(errs, fmt.Errorf("report: table %q row %d has %d cells, want %d", v.Name, i, len(r), len(v.Header)))
				}
			}
		default:
			continue
		}
		if !nameRE.MatchString(name) {
			errs = append(errs, fmt.Errorf("report: %s name %q is not a plain file stem", kind, name))
		}
		if seen[kind+"/"+name] {
			errs = append(errs, fmt.Errorf("report: two %ss named %q", kind, name))
		}
		seen[kind+"/"+name] = true
	}
	return errors.Join(errs...)
}

// Markdown renders the document as Markdown.
func (doc *Document) Markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n", doc.Title)
	var n numbering
	for _, blk := range doc.Blocks {
		b.WriteByte('\n')
		blk.markdown(&b, &n)
	}
	return b.Bytes()
}

const style = `body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
h1,h2,h3{line-height:1.2}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.2rem .5rem;text-align:left}
th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1rem 0 1.5rem}
figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption,.caption{font-size:.92rem;color:#333}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88rem;background:#f6f6f6}
pre{padding:.5rem;overflow-x:auto}`

// HTML renders the document as one self-contained HTML page.
func (doc *Document) HTML() []byte {
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s\n</style>\n</head>\n<body>\n", html.EscapeString(doc.Title), style)
	fmt.Fprintf(&b, "<h1>%s</h1>\n", inlineHTML(doc.Title))
	var n numbering
	for _, blk := range doc.Blocks {
		blk.html(&b, &n)
	}
	b.WriteString("</body>\n</html>\n")
	return b.Bytes()
}

func (h *Heading) markdown(b *bytes.Buffer, _ *numbering) {
	fmt.Fprintf(b, "%s %s\n", strings.Repeat("#", clampLevel(h.Level)), h.Text)
}

func (h *Heading) html(b *bytes.Buffer, _ *numbering) {
	l := clampLevel(h.Level)
	fmt.Fprintf(b, "<h%d>%s</h%d>\n", l, inlineHTML(h.Text), l)
}

func clampLevel(l int) int { return min(max(l, 2), 6) }

func (p *Paragraph) markdown(b *bytes.Buffer, _ *numbering) { fmt.Fprintf(b, "%s\n", p.Text) }
func (p *Paragraph) html(b *bytes.Buffer, _ *numbering) {
	fmt.Fprintf(b, "<p>%s</p>\n", inlineHTML(p.Text))
}

func (l *List) markdown(b *bytes.Buffer, _ *numbering) {
	for _, it := range l.Items {
		fmt.Fprintf(b, "- %s\n", it)
	}
}

func (l *List) html(b *bytes.Buffer, _ *numbering) {
	b.WriteString("<ul>\n")
	for _, it := range l.Items {
		fmt.Fprintf(b, "<li>%s</li>\n", inlineHTML(it))
	}
	b.WriteString("</ul>\n")
}

func (c *Code) markdown(b *bytes.Buffer, _ *numbering) {
	fmt.Fprintf(b, "```\n%s\n```\n", strings.TrimRight(c.Text, "\n"))
}

func (c *Code) html(b *bytes.Buffer, _ *numbering) {
	fmt.Fprintf(b, "<pre><code>%s</code></pre>\n", html.EscapeString(strings.TrimRight(c.Text, "\n")))
}

func (f *Figure) markdown(b *bytes.Buffer, n *numbering) {
	n.figure++
	fmt.Fprintf(b, "![Figure %d](figures/%s.png)\n\n**Figure %d.** %s ([SVG](figures/%s.svg))\n", n.figure, f.Name, n.figure, f.Caption, f.Name)
}

func (f *Figure) html(b *bytes.Buffer, n *numbering) {
	n.figure++
	fmt.Fprintf(b, "<figure id=\"fig-%s\">\n<img alt=\"Figure %d\" src=\"data:image/png;base64,%s\">\n", f.Name, n.figure, base64.StdEncoding.EncodeToString(f.PNG))
	fmt.Fprintf(b, "<figcaption><strong>Figure %d.</strong> %s</figcaption>\n</figure>\n", n.figure, inlineHTML(f.Caption))
}

func (t *Table) markdown(b *bytes.Buffer, n *numbering) {
	n.table++
	fmt.Fprintf(b, "**Table %d.** %s (CSV: [tables/%s.csv](tables/%s.csv))\n\n", n.table, t.Caption, t.Name, t.Name)
	b.Write(t.Markdown())
}

func (t *Table) html(b *bytes.Buffer, n *numbering) {
	n.table++
	fmt.Fprintf(b, "<p class=\"caption\" id=\"tab-%s\"><strong>Table %d.</strong> %s</p>\n<table>\n<thead><tr>", t.Name, n.table, inlineHTML(t.Caption))
	for _, h := range t.Header {
		fmt.Fprintf(b, "<th>%s</th>", inlineHTML(h))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range t.Rows {
		b.WriteString("<tr>")
		for _, c := range r {
			if numericCell.MatchString(c) {
				fmt.Fprintf(b, "<td class=\"num\">%s</td>", inlineHTML(c))
			} else {
				fmt.Fprintf(b, "<td>%s</td>", inlineHTML(c))
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
}

var numericCell = regexp.MustCompile(`^[-+−]?[0-9.]+([eE][-+]?[0-9]+)?( ± [0-9.eE+-]+)?$`)

// Markdown returns the table alone as a Markdown table.
func (t *Table) Markdown() []byte {
	var b bytes.Buffer
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			fmt.Fprintf(&b, " %s |", strings.ReplaceAll(c, "|", `\|`))
		}
		b.WriteString("\n")
	}
	row(t.Header)
	b.WriteString("|")
	for range t.Header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		row(r)
	}
	return b.Bytes()
}

// CSV returns the table as RFC 4180 CSV with a header row. Inline markup
// (backquotes, double asterisks) is dropped.
func (t *Table) CSV() ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	plain := func(cells []string) []string {
		out := make([]string, len(cells))
		for i, c := range cells {
			out[i] = strings.NewReplacer("`", "", "**", "").Replace(c)
		}
		return out
	}
	if err := w.Write(plain(t.Header)); err != nil {
		return nil, err
	}
	for _, r := range t.Rows {
		if err := w.Write(plain(r)); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

var (
	codeRE = regexp.MustCompile("`([^`]+)`")
	boldRE = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	// Italics need a space, bracket or line edge outside the stars and
	// none inside, so that products such as a*b are left alone.
	emRE   = regexp.MustCompile(`(^|[\s(])\*([^*\s](?:[^*]*[^*\s])?)\*($|[\s).,;:])`)
	linkRE = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
)

// inlineHTML escapes s and turns `code`, **bold**, *italic* and
// [text](url) into HTML.
func inlineHTML(s string) string {
	s = html.EscapeString(s)
	s = codeRE.ReplaceAllString(s, "<code>$1</code>")
	s = boldRE.ReplaceAllString(s, "<strong>$1</strong>")
	s = emRE.ReplaceAllString(s, "$1<em>$2</em>$3")
	s = linkRE.ReplaceAllString(s, `<a href="$2">$1</a>`)
	return s
}
