package datasets

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"go/scanner"
	"go/token"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// DefaultGoTextMaxBytes is the default cap on the bytes of Go source read
// by GoText: 32 MiB. The default corpus (non-test, non-generated files of
// GOROOT/src without cmd) is ≈ 17.5 MB, ≈ 2.8·10^6 tokens with Go 1.26,
// tokenized in ≈ 0.3–0.8 s, so the cap only bounds the cost on larger
// trees or with the Include options.
const DefaultGoTextMaxBytes = 32 << 20

// goTextMaxLiteral is the longest literal kept verbatim as a token; longer
// literals become a placeholder per kind ("<STRING>", "<INT>", ...).
const goTextMaxLiteral = 16

// goTextUnknown is the shared input token of GoTextOptions.InputVocab.
const goTextUnknown = "<unk>"

// GoTextOptions configures GoText.
type GoTextOptions struct {
	// Root is the directory whose .go files form the corpus; empty means
	// the Go standard library sources, $GOROOT/src (GOROOT from the
	// environment, else `go env GOROOT`, else runtime.GOROOT()).
	Root string
	// C is the number of classes: the C most frequent tokens (C ≥ 2, at
	// most the number of distinct tokens; 10^4 is fine).
	C int
	// D is the embedding (input) dimension, D ≥ 1.
	D int
	// N is the number of (previous, next) pairs sampled, 1 ≤ N ≤ number
	// of eligible pairs.
	N int
	// Seed drives the subsample and the embeddings.
	Seed uint64
	// MaxBytes caps the corpus: files are read in path order while the
	// bytes read so far are below the cap (the last file is read whole).
	// 0 means DefaultGoTextMaxBytes; a negative value means no cap.
	MaxBytes int64
	// IncludeTests also reads *_test.go files (excluded by default).
	IncludeTests bool
	// IncludeCmd also reads Root/cmd (the Go toolchain's own sources when
	// Root is GOROOT/src; excluded by default, so the default corpus is
	// the standard library proper).
	IncludeCmd bool
	// IncludeGenerated also reads generated files (those with a
	// "// Code generated ... DO NOT EDIT." line before the package clause,
	// the Go convention). They are excluded by default: in GOROOT/src they
	// are mostly large tables (unicode, crypto, syscall constants) whose
	// hex literals would otherwise crowd the vocabulary.
	IncludeGenerated bool
	// InputVocab, if positive, gives an embedding of its own only to the
	// InputVocab most frequent tokens; every rarer previous token shares
	// the embedding of "<unk>". 0 means every distinct token has its own
	// embedding.
	InputVocab int
}

// GoText builds a next-token prediction task from real Go source.
//
// The corpus (see GoTextOptions) is tokenized with go/scanner, comments
// dropped. A token's text is the identifier, keyword or operator itself;
// a literal is kept verbatim up to 16 bytes and replaced by "<STRING>",
// "<CHAR>", "<INT>", "<FLOAT>" or "<IMAG>" when longer; a semicolon the
// scanner inserts at a line end is the token "\n". Tokens are ranked by
// frequency over the corpus, ties broken by text (byte order), and the C
// top-ranked tokens are the classes: Vocab[k] is the token of rank k.
//
// A sample is a consecutive token pair (prev, next) within one file whose
// next token is among the classes; its label is the rank of next and its
// input is a fixed random embedding of prev: a vector in R^D with iid
// N(0, 1) entries (so ‖x‖² ≈ D, the scale of N(0, I_D)), drawn from a
// stream keyed by the seed and the token text. Every previous token has
// its own embedding (no OOV), unless InputVocab limits them. N pairs are
// drawn without replacement from all eligible pairs, in random order.
//
// The tokenized corpus is cached per process (per root and corpus
// options), so repeated calls only pay for sampling and embedding.
func GoText(opts GoTextOptions) (*Set, error) {
	if opts.C < 2 {
		return nil, fmt.Errorf("datasets: GoText: C = %d, need at least 2 classes", opts.C)
	}
	if opts.InputVocab < 0 {
		return nil, fmt.Errorf("datasets: GoText: InputVocab = %d, need ≥ 0 (0 = all tokens)", opts.InputVocab)
	}
	if err := checkShape("GoText", opts.N, opts.D); err != nil {
		return nil, err
	}
	root := opts.Root
	if root == "" {
		goroot, err := findGOROOT()
		if err != nil {
			return nil, err
		}
		root = filepath.Join(goroot, "src")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("datasets: GoText: root %s: %w", root, err)
	}
	maxBytes := opts.MaxBytes
	if maxBytes == 0 {
		maxBytes = DefaultGoTextMaxBytes
	}
	corp, err := loadGoCorpus(corpusKey{abs, maxBytes, opts.IncludeTests, opts.IncludeCmd, opts.IncludeGenerated})
	if err != nil {
		return nil, err
	}
	if len(corp.text) < opts.C {
		return nil, fmt.Errorf("datasets: GoText: the corpus under %s (%d files, %d tokens) has %d distinct tokens, fewer than C = %d",
			abs, corp.files, len(corp.toks), len(corp.text), opts.C)
	}

	// Eligible pairs: positions i (not a file's first token) with
	// rank(toks[i]) < C.
	var eligible []int32
	for f := 0; f < corp.files; f++ {
		for i := corp.fileStart[f] + 1; i < corp.fileStart[f+1]; i++ {
			if corp.rank[corp.toks[i]] < int32(opts.C) {
				eligible = append(eligible, int32(i))
			}
		}
	}
	if opts.N > len(eligible) {
		return nil, fmt.Errorf("datasets: GoText: N = %d exceeds the %d eligible token pairs for C = %d",
			opts.N, len(eligible), opts.C)
	}
	pick := sampleWithoutReplacement(len(eligible), opts.N, newRNG(opts.Seed, streamGoTextSample))

	d := opts.D
	data := make([]float64, opts.N*d)
	labels := make([]int, opts.N)
	emb := make(map[string][]float64)
	for r, e := range pick {
		pos := eligible[e]
		labels[r] = int(corp.rank[corp.toks[pos]])
		prev := corp.toks[pos-1]
		name := corp.text[prev]
		if opts.InputVocab > 0 && int(corp.rank[prev]) >= opts.InputVocab {
			name = goTextUnknown
		}
		v, ok := emb[name]
		if !ok {
			v = tokenEmbedding(name, d, opts.Seed)
			emb[name] = v
		}
		copy(data[r*d:(r+1)*d], v)
	}
	vocab := make([]string, opts.C)
	for k := range vocab {
		vocab[k] = corp.text[corp.byRank[k]]
	}
	return &Set{
		X:      mat.NewDense(opts.N, d, data),
		Labels: labels,
		C:      opts.C,
		Name: fmt.Sprintf("gotext(n=%d,d=%d,c=%d,seed=%d,files=%d,tokens=%d)",
			opts.N, d, opts.C, opts.Seed, corp.files, len(corp.toks)),
		Vocab: vocab,
	}, nil
}

// tokenEmbedding is the embedding of a token: D iid N(0, 1) entries from a
// PCG stream keyed by the seed and a hash of the token text, so it does not
// depend on the corpus extent, N or C.
func tokenEmbedding(text string, d int, seed uint64) []float64 {
	h := fnv.New64a()
	h.Write([]byte(text))
	rng := newRNG(seed, splitmix64(h.Sum64()^streamGoTextEmbedder))
	v := make([]float64, d)
	for j := range v {
		v[j] = rng.NormFloat64()
	}
	return v
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// findGOROOT returns $GOROOT, else `go env GOROOT`, else runtime.GOROOT(),
// the first that has a src directory.
func findGOROOT() (string, error) {
	var tried []string
	cands := []string{os.Getenv("GOROOT")}
	if r, err := goCommand("", "env", "GOROOT"); err == nil {
		cands = append(cands, r)
	}
	cands = append(cands, runtime.GOROOT())
	for _, r := range cands {
		if r == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(r, "src")); err == nil && fi.IsDir() {
			return r, nil
		}
		tried = append(tried, r)
	}
	return "", fmt.Errorf("datasets: GoText: no Go root with a src directory found (tried $GOROOT, `go env GOROOT`, runtime.GOROOT(): %s); set GoTextOptions.Root",
		strings.Join(tried, ", "))
}

type corpusKey struct {
	root         string
	maxBytes     int64
	includeTests bool
	includeCmd   bool
	includeGen   bool
}

// goCorpus is a tokenized corpus: token IDs in file order, with the
// distinct texts ranked by frequency.
type goCorpus struct {
	toks      []int32 // token IDs, all files concatenated
	fileStart []int   // file f holds toks[fileStart[f]:fileStart[f+1]]
	files     int
	bytes     int64
	text      []string // ID → text
	count     []int64  // ID → frequency
	rank      []int32  // ID → rank (0 = most frequent)
	byRank    []int32  // rank → ID
}

var corpusCache onceCache[corpusKey, *goCorpus]

func loadGoCorpus(k corpusKey) (*goCorpus, error) {
	return corpusCache.get(k, func() (*goCorpus, error) { return tokenizeCorpus(k) })
}

func tokenizeCorpus(k corpusKey) (*goCorpus, error) {
	fi, err := os.Stat(k.root)
	if err != nil {
		return nil, fmt.Errorf("datasets: GoText: corpus root: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("datasets: GoText: corpus root %s is not a directory", k.root)
	}
	var paths []string
	cmdDir := filepath.Join(k.root, "cmd")
	err = filepath.WalkDir(k.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != k.root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") ||
				(!k.includeCmd && p == cmdDir)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(name, ".go") ||
			(!k.includeTests && strings.HasSuffix(name, "_test.go")) {
			return nil
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("datasets: GoText: walking %s: %w", k.root, err)
	}
	slices.Sort(paths) // WalkDir is lexical per directory; sort full paths anyway
	if len(paths) == 0 {
		return nil, fmt.Errorf("datasets: GoText: no .go files under %s", k.root)
	}

	c := &goCorpus{fileStart: []int{0}}
	ids := make(map[string]int32)
	intern := func(s string) int32 {
		id, ok := ids[s]
		if !ok {
			id = int32(len(c.text))
			ids[s] = id
			c.text = append(c.text, s)
			c.count = append(c.count, 0)
		}
		c.count[id]++
		return id
	}
	for _, p := range paths {
		if k.maxBytes >= 0 && c.bytes >= k.maxBytes {
			break
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("datasets: GoText: %w", err)
		}
		if !k.includeGen && isGenerated(src) {
			continue
		}
		c.bytes += int64(len(src))
		fset := token.NewFileSet()
		var s scanner.Scanner
		s.Init(fset.AddFile(p, -1, len(src)), src, func(token.Position, string) {}, 0)
		for {
			_, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if len(c.toks) >= 1<<31-1 {
				return nil, errors.New("datasets: GoText: corpus exceeds 2^31 tokens; set MaxBytes")
			}
			c.toks = append(c.toks, intern(tokenText(tok, lit)))
		}
		c.fileStart = append(c.fileStart, len(c.toks))
		c.files++
	}

	c.byRank = make([]int32, len(c.text))
	for i := range c.byRank {
		c.byRank[i] = int32(i)
	}
	slices.SortFunc(c.byRank, func(a, b int32) int {
		if x := cmp.Compare(c.count[b], c.count[a]); x != 0 {
			return x
		}
		return strings.Compare(c.text[a], c.text[b])
	})
	c.rank = make([]int32, len(c.text))
	for r, id := range c.byRank {
		c.rank[id] = int32(r)
	}
	return c, nil
}

// isGenerated reports whether src carries the Go convention's marker
// "// Code generated ... DO NOT EDIT." on a line of its own before the first
// non-comment, non-blank text.
func isGenerated(src []byte) bool {
	inBlock := false
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if inBlock {
			if i := bytes.Index(line, []byte("*/")); i >= 0 {
				inBlock = false
				if len(bytes.TrimSpace(line[i+2:])) > 0 {
					return false
				}
			}
			continue
		}
		if bytes.HasPrefix(line, []byte("// Code generated ")) && bytes.HasSuffix(line, []byte(" DO NOT EDIT.")) {
			return true
		}
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0, bytes.HasPrefix(t, []byte("//")):
		case bytes.HasPrefix(t, []byte("/*")):
			if i := bytes.Index(t[2:], []byte("*/")); i < 0 {
				inBlock = true
			} else if len(bytes.TrimSpace(t[2+i+2:])) > 0 {
				return false
			}
		default:
			return false
		}
	}
	return false
}

func tokenText(tok token.Token, lit string) string {
	switch {
	case tok == token.SEMICOLON:
		return lit // "\n" when inserted at a line end or EOF, ";" when written
	case tok == token.IDENT:
		return lit
	case tok.IsLiteral():
		if len(lit) <= goTextMaxLiteral {
			return lit
		}
		return "<" + tok.String() + ">"
	default: // keywords, operators, ILLEGAL
		if lit != "" && tok == token.ILLEGAL {
			return lit
		}
		return tok.String()
	}
}
