package sweep

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hessblock/hessblock/kind"
	"github.com/hessblock/hessblock/numerics"
)

// The fuzz targets of the command's own parsers. Plain `go test` runs only
// their seed corpus (the f.Add calls and testdata/fuzz/FuzzX); a fuzzing
// run is, one target at a time,
//
//	go test -run '^$' -fuzz FuzzReadFile -fuzztime 60s ./internal/sweep

// fuzzRecordLine is the canonical line of a synthetic record of cfg (no
// measurement: the parsers only look at the JSON).
func fuzzRecordLine(t testing.TB, cfg numerics.Config, r float64) []byte {
	rec := Record{Key: Key(cfg), Config: cfg, Gamma: float64(cfg.D) / float64(cfg.N), Params: cfg.C * cfg.D, Rho: r / 2,
		Families: []FamilyResult{{Family: kind.OutputOutput, R: r, Pairs: cfg.C * (cfg.C - 1) / 2, DiagNorm: 1.5, OffNorm: 0.25}}}
	b, err := MarshalRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fuzzSeedFile is a valid three-line sweep file of tinySpec's points.
func fuzzSeedFile(t testing.TB) []byte {
	pts, err := tinySpec().Expand()
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for i, p := range pts[:3] {
		b = append(b, fuzzRecordLine(t, p.Config, 0.1*float64(i+1))...)
	}
	return b
}

func addFileSeeds(f *testing.F) {
	good := fuzzSeedFile(f)
	f.Add([]byte{})
	f.Add(good)
	f.Add(good[:len(good)-1])                                     // no final newline
	f.Add(append(append([]byte(nil), good...), `{"key":"lin`...)) // a killed append
	f.Add(append(append([]byte(nil), good...), 0, 0, 0))
	f.Add(append(append([]byte(nil), good...), good[:bytes.IndexByte(good, '\n')+1]...)) // a repeated key
	f.Add([]byte("my notes\n"))
	f.Add([]byte("{\"key\":\"x\"}\n"))
	f.Add(bytes.Replace(good, []byte(`"C":2`), []byte(`"C":3`), 1)) // key and config disagree
	// A record with the G/Hres split (sweep -curvature).
	f.Add([]byte(`{"key":"linear/mse/C=3/d=4/N=12/sigma=1/seed=1","config":{"model":"linear","loss":"mse","C":3,"d":4,"N":12,"sigma":1,"seed":1},` +
		`"gamma":0.3333333333333333,"params":12,"rho":0,"families":[{"family":"output-output","R":0,"pairs":6,"diag_norm":2.1,"off_norm":0}],` +
		`"curvature":{"gauss_newton":{"rho":0,"families":[{"family":"output-output","R":0,"pairs":6}]},` +
		`"residual":{"rho":null,"rho_undefined":"H = 0","families":[{"family":"output-output","R":null,"R_undefined":"H = 0","pairs":6}]}}}` + "\n"))
}

// FuzzReadFile: parsing never panics, and what it accepts is exactly a
// prefix of the input made of whole lines, each byte for byte the
// MarshalRecord form of its record, which parses back unchanged.
func FuzzReadFile(f *testing.F) {
	addFileSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := parseFile("f", data)
		if err != nil {
			if pf != nil {
				t.Fatal("error with a non-nil file")
			}
			return
		}
		if pf.ValidLen < 0 || pf.ValidLen > int64(len(data)) {
			t.Fatalf("ValidLen %d outside [0, %d]", pf.ValidLen, len(data))
		}
		if pf.Truncated != (pf.ValidLen < int64(len(data))) {
			t.Fatalf("Truncated %v with ValidLen %d of %d bytes", pf.Truncated, pf.ValidLen, len(data))
		}
		var joined []byte
		keys := map[string]bool{}
		for _, l := range pf.Lines {
			joined = append(append(joined, l.Raw...), '\n')
			if Key(l.Record.Config) != l.Record.Key {
				t.Fatalf("accepted key %q for config %q", l.Record.Key, Key(l.Record.Config))
			}
			if keys[l.Record.Key] {
				t.Fatalf("accepted key %q twice", l.Record.Key)
			}
			keys[l.Record.Key] = true
			// Round trip: the canonical form parses back to the same record.
			b, err := MarshalRecord(l.Record)
			if err != nil {
				t.Fatalf("accepted line does not re-marshal: %v", err)
			}
			if !bytes.Equal(b[:len(b)-1], l.Raw) {
				t.Fatalf("accepted a line that is not canonical:\n%s\n%s", l.Raw, b)
			}
			again, err := parseFile("g", b)
			if err != nil || len(again.Lines) != 1 || again.Truncated {
				t.Fatalf("re-marshalled line %q does not parse back: %v", b, err)
			}
			// NaN (an undefined statistic, JSON null) equals itself here.
			if !cmp.Equal(again.Lines[0].Record, l.Record, cmpopts.EquateNaNs()) {
				t.Fatalf("round trip changed the record:\n%+v\n%+v", l.Record, again.Lines[0].Record)
			}
		}
		if !bytes.Equal(joined, data[:pf.ValidLen]) {
			t.Fatalf("lines do not make up the valid prefix:\n%q\n%q", joined, data[:pf.ValidLen])
		}
		// The valid prefix alone is a complete file with the same lines.
		pre, err := parseFile("f", data[:pf.ValidLen])
		if err != nil || pre.Truncated || pre.ValidLen != pf.ValidLen || !cmp.Equal(pre.Lines, pf.Lines, cmpopts.EquateNaNs()) {
			t.Fatalf("the valid prefix parses differently: %v", err)
		}
	})
}

// FuzzMerge: merging never panics; a valid file, alone or dealt line by
// line into several shards, merges to its own valid prefix when the grid
// is its list of points; a point missing from the grid or from the files
// is reported.
func FuzzMerge(f *testing.F) {
	good := fuzzSeedFile(f)
	f.Add(good, uint8(0))
	f.Add(good, uint8(1))
	f.Add(good, uint8(2))
	f.Add(append(append([]byte(nil), good...), `{"key":"lin`...), uint8(1))
	f.Add([]byte("x\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		grid, err := tinySpec().Expand()
		if err != nil {
			t.Fatal(err)
		}
		pf, perr := parseFile("a", data)
		out, st, err := Merge(grid, map[string][]byte{"a": data})
		if perr != nil {
			if err == nil || IsMergeError(err) {
				t.Fatalf("merge of a file parseFile refuses: %v (want %v)", err, perr)
			}
			return
		}
		if err == nil && (len(pf.Lines) != len(grid) || len(out) != int(pf.ValidLen) || st.Points != len(grid)) {
			// Only a file holding exactly the grid merges (in grid order,
			// which need not be the file's).
			t.Fatalf("merged %d lines (%d bytes) into a %d-point grid", len(pf.Lines), pf.ValidLen, len(grid))
		}
		if len(pf.Lines) == 0 {
			return
		}
		// The file's own points, in file order, as the grid.
		pts := make([]Point, len(pf.Lines))
		for i, l := range pf.Lines {
			pts[i] = Point{Index: i, Key: l.Record.Key, Config: l.Record.Config}
		}
		k := int(split%3) + 1
		shards := map[string][]byte{}
		for i, l := range pf.Lines {
			name := string(rune('a' + i%k))
			shards[name] = append(append(shards[name], l.Raw...), '\n')
		}
		if pf.Truncated {
			shards["a"] = append(shards["a"], data[pf.ValidLen:]...)
		}
		out, st, err = Merge(pts, shards)
		if err != nil {
			t.Fatalf("merge of a valid file in %d shards: %v", k, err)
		}
		if !bytes.Equal(out, data[:pf.ValidLen]) {
			t.Fatalf("merge changed a valid file:\n%q\n%q", out, data[:pf.ValidLen])
		}
		if st.Points != len(pts) || (len(st.Truncated) > 0) != pf.Truncated {
			t.Fatalf("stats %+v for %d points, truncated %v", st, len(pts), pf.Truncated)
		}
		// Without the first point in the grid, it is foreign; with an
		// extra grid point, that one is missing.
		_, _, err = Merge(pts[1:], shards)
		if me, ok := err.(*MergeError); !ok || len(me.Foreign) != 1 || len(me.Missing)+len(me.Duplicated) != 0 {
			t.Fatalf("a point outside the grid: %v", err)
		}
		extra := append(append([]Point(nil), pts...), Point{Index: len(pts), Key: "extra"})
		_, _, err = Merge(extra, shards)
		if me, ok := err.(*MergeError); !ok || len(me.Missing) != 1 || len(me.Foreign)+len(me.Duplicated) != 0 {
			t.Fatalf("a grid point in no file: %v", err)
		}
	})
}

// fuzzMaxPoints keeps the grids the fuzzer expands small.
const fuzzMaxPoints = 2000

// checkExpanded checks what Expand promises about an accepted grid: one
// point per combination, in grid order (Index = position), valid
// configurations, unique canonical keys; and that the shards of every
// count up to 5 partition it.
func checkExpanded(t *testing.T, s Spec, pts []Point) {
	t.Helper()
	ms := ParseAll(s.Models, kind.ParseModel, new([]error), nil)
	if want := s.size(ms, len(s.Losses), len(s.Activations)); float64(len(pts)) != want {
		t.Fatalf("%d points, the grid lists %v", len(pts), want)
	}
	seen := map[string]bool{}
	for i, p := range pts {
		if p.Index != i {
			t.Fatalf("point %d has Index %d", i, p.Index)
		}
		if p.Key != Key(p.Config) {
			t.Fatalf("point %d: key %q, config %q", i, p.Key, Key(p.Config))
		}
		if seen[p.Key] {
			t.Fatalf("point %s twice", p.Key)
		}
		seen[p.Key] = true
		if err := p.Config.Validate(); err != nil {
			t.Fatalf("invalid point %s: %v", p.Key, err)
		}
	}
	for n := 1; n <= 5; n++ {
		count := make([]int, len(pts))
		for i := 1; i <= n; i++ {
			prev := -1
			for _, p := range (Shard{I: i, N: n}).Select(pts) {
				if p.Index <= prev {
					t.Fatalf("shard %d/%d out of grid order", i, n)
				}
				prev = p.Index
				count[p.Index]++
			}
		}
		for i, c := range count {
			if c != 1 {
				t.Fatalf("point %d in %d of %d shards", i, c, n)
			}
		}
	}
}

// fuzzReader hands out the fuzzer's bytes, zeros once they run out.
type fuzzReader []byte

func (r *fuzzReader) next() byte {
	if len(*r) == 0 {
		return 0
	}
	b := (*r)[0]
	*r = (*r)[1:]
	return b
}

// list reads a length in 0…2 and that many values.
func fuzzList[T any](r *fuzzReader, val func(byte) T) []T {
	n := int(r.next() % 3)
	var out []T
	for range n {
		out = append(out, val(r.next()))
	}
	return out
}

// fuzzSpec decodes a small grid (at most two values per list, so at most
// 2¹⁰ points) whose values include invalid and repeated ones.
func fuzzSpec(data []byte) Spec {
	r := fuzzReader(data)
	pick := func(vs ...string) func(byte) string { return func(b byte) string { return vs[int(b)%len(vs)] } }
	size := func(b byte) int { return int(int8(b)) } // −128…127: 0, 1 and negatives are invalid
	scale := func(b byte) float64 {
		return []float64{1, 0, 0.5, -1, 2, math.NaN(), math.Inf(1), 1e308}[b%8]
	}
	return Spec{
		Models:      fuzzList(&r, pick("linear", "mlp", "MLP", "")),
		Losses:      fuzzList(&r, pick("mse", "ce", "CE", "hinge")),
		Activations: fuzzList(&r, pick("relu", "tanh", "identity", "sigmoid")),
		C:           fuzzList(&r, size),
		D:           fuzzList(&r, size),
		N:           fuzzList(&r, size),
		M:           fuzzList(&r, size),
		Sigma:       fuzzList(&r, scale),
		SigmaW:      fuzzList(&r, scale),
		SigmaV:      fuzzList(&r, scale),
		Seeds:       fuzzList(&r, func(b byte) uint64 { return uint64(b) % 4 * (math.MaxUint64 / 3) }),
	}
}

// FuzzExpand: expansion never panics, and an accepted grid satisfies
// checkExpanded; expanding twice gives the same points.
func FuzzExpand(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 0, 1, 2, 0, 1, 1, 0, 2, 2, 3, 1, 4, 1, 12, 1, 3, 1, 0, 1, 0, 1, 0, 2, 0, 1})
	f.Add([]byte{1, 0, 1, 1, 0, 1, 2, 1, 4, 1, 12, 0, 1, 0, 0, 0, 2, 1, 2})             // linear, seeds 1, 2
	f.Add([]byte{1, 1, 1, 1, 1, 0, 2, 3, 3, 1, 4, 1, 12, 1, 3, 1, 0, 1, 0, 1, 0, 1, 1}) // repeated C
	f.Add([]byte{1, 0, 1, 0, 0, 1, 0, 1, 4, 1, 12, 0, 1, 5, 0, 0, 1, 1})                // NaN σ
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzSpec(data)
		pts, err := s.Expand()
		if err != nil {
			if pts != nil {
				t.Fatal("points with an error")
			}
			return
		}
		checkExpanded(t, s, pts)
		again, err := s.Expand()
		if err != nil || !reflect.DeepEqual(again, pts) {
			t.Fatalf("second expansion differs: %v", err)
		}
	})
}

// FuzzReadSpec: decoding a -spec file never panics; an accepted spec
// re-marshals (MarshalIndent) to one that decodes to the same grid, and a
// small one expands per checkExpanded.
func FuzzReadSpec(f *testing.F) {
	f.Add(DefaultSpec().MarshalIndent())
	f.Add(tinySpec().MarshalIndent())
	f.Add([]byte(`{"models":["linear"],"losses":["ce"],"C":[2,4],"d":[3],"N":[5],"sigma":[1],"seeds":[1]}`))
	f.Add([]byte(`{"models":["linear"],"m":[],"C":[1e2]}`))
	f.Add([]byte(`{"models":["mlp"]} {}`))
	f.Add([]byte(`{"model":["mlp"]}`))
	f.Add([]byte(`{"seeds":[-1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadSpec(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "sweep: ") {
				t.Fatalf("error without the package prefix: %v", err)
			}
			return
		}
		again, err := ReadSpec(bytes.NewReader(s.MarshalIndent()))
		if err != nil {
			t.Fatalf("MarshalIndent output does not decode: %v\n%s", err, s.MarshalIndent())
		}
		// omitempty drops an empty list, which decodes as nil: the same grid.
		if d := cmp.Diff(s, again, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("round trip changed the spec (-want +got):\n%s", d)
		}
		ms := ParseAll(s.Models, kind.ParseModel, new([]error), nil)
		if s.size(ms, len(s.Losses), len(s.Activations)) > fuzzMaxPoints {
			return // Expand's own bound is MaxPoints; keep fuzzing fast
		}
		if pts, err := s.Expand(); err == nil {
			checkExpanded(t, s, pts)
		}
	})
}

// FuzzParseShard: parsing never panics; an accepted shard has
// 1 ≤ I ≤ N and prints to a string that parses back to it; the N shards
// of a grid partition it.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/1", "2/4", " 3 / 3 ", "0/4", "5/4", "1/0", "-1/2", "+1/2", "1/", "/", "1//2", "1/2/3", "x", "", "9223372036854775807/9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			if sh != (Shard{}) {
				t.Fatalf("error with shard %+v", sh)
			}
			return
		}
		if sh.I < 1 || sh.I > sh.N {
			t.Fatalf("%q parsed to %+v", s, sh)
		}
		back, err := ParseShard(sh.String())
		if err != nil || back != sh {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, sh, sh.String(), back, err)
		}
		pts, err := tinySpec().Expand()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range sh.Select(pts) {
			if p.Index%sh.N != sh.I-1 {
				t.Fatalf("shard %s holds point %d", sh, p.Index)
			}
		}
		if sh.N <= 64 {
			n := 0
			for i := 1; i <= sh.N; i++ {
				n += len((Shard{I: i, N: sh.N}).Select(pts))
			}
			if n != len(pts) {
				t.Fatalf("the %d shards hold %d of %d points", sh.N, n, len(pts))
			}
		}
	})
}
