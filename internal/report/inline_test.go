package report

import "testing"

// *Italic* titles (the report cites the paper that way) are rendered, not
// left as literal stars in the HTML; stars used as products are left alone.
func TestInlineHTMLItalic(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"the claims of *Towards Quantifying* (arXiv)", "the claims of <em>Towards Quantifying</em> (arXiv)"},
		{"*x* and **y**", "<em>x</em> and <strong>y</strong>"},
		{"(*a*).", "(<em>a</em>)."},
		{"a*b*c and 2 * 3 * 4", "a*b*c and 2 * 3 * 4"},
		{"σ* is * not*", "σ* is * not*"},
	} {
		if got := inlineHTML(tc.in); got != tc.want {
			t.Errorf("inlineHTML(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
