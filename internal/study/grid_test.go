package study

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/hessblock/hessblock/internal/report"
	"github.com/hessblock/hessblock/internal/sweep"
)

func TestAggregateKnownValues(t *testing.T) {
	rec := func(rho float64) sweep.Record { return sweep.Record{Rho: rho} }
	pts := []gridPoint{
		{Case: linearCE, C: 8, Seed: 1, Record: rec(1)},
		{Case: linearCE, C: 4, Seed: 1, Record: rec(2)},
		{Case: linearCE, C: 8, Seed: 2, Record: rec(3)},
		{Case: mlpCE, C: 8, Seed: 1, Record: rec(100)}, // another case: ignored
		{Case: linearCE, C: 8, Seed: 3, Record: rec(5)},
	}
	got := aggregate(pts, linearCE, metric{})
	if len(got) != 2 || got[0].C != 4 || got[1].C != 8 {
		t.Fatalf("aggregate: %+v, want C = 4 then 8", got)
	}
	a := got[1] // 1, 3, 5: mean 3, sample sd 2
	if a.Mean != 3 || a.Min != 1 || a.Max != 5 || math.Abs(a.SD-2) > 1e-15 || len(a.Values) != 3 {
		t.Errorf("C = 8: %+v, want mean 3, sd 2, min 1, max 5, 3 values", a)
	}
	if b := got[0]; b.Mean != 2 || b.SD != 0 {
		t.Errorf("C = 4, one seed: %+v, want mean 2, sd 0", b)
	}
}

// TestGridTableMatchesRawPoints recomputes the grid table's ρ rows from
// the raw per-seed records the report publishes (data/points.jsonl), with
// code written here, and compares them cell by cell.
func TestGridTableMatchesRawPoints(t *testing.T) {
	o := Quick()
	out, err := Run(context.Background(), o, Progress{})
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		label string
		c     int
	}
	raw := map[key][]float64{}
	labels := map[string]string{} // model/loss/σ → case label
	for _, gc := range o.cases() {
		labels[gc.ID] = gc.Label
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out.Points)), "\n") {
		var r sweep.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		id := string(r.Config.Model) + "-" + string(r.Config.Loss)
		if r.Config.Model == "linear" && r.Config.Loss == "ce" && r.Config.Sigma == 0 {
			id = linearCE0
		}
		raw[key{labels[id], r.Config.C}] = append(raw[key{labels[id], r.Config.C}], r.Rho)
	}
	var grid *report.Table
	for _, b := range out.Doc.Blocks {
		if tb, ok := b.(*report.Table); ok && tb.Name == "grid" {
			grid = tb
		}
	}
	if grid == nil {
		t.Fatal("no grid table")
	}
	rows := 0
	for _, row := range grid.Rows {
		if row[1] != "ρ" {
			continue
		}
		c, _ := strconv.Atoi(row[2])
		vs := raw[key{row[0], c}]
		if len(vs) != o.Seeds {
			t.Fatalf("%s C = %d: %d raw points, want %d", row[0], c, len(vs), o.Seeds)
		}
		mean, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
		for _, v := range vs {
			mean += v / float64(len(vs))
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		var ss float64
		for _, v := range vs {
			ss += (v - mean) * (v - mean)
		}
		want := []string{num(mean), num(math.Sqrt(ss / float64(len(vs)-1))), num(lo), num(hi), strconv.Itoa(len(vs))}
		if got := row[3:8]; strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s C = %d: table %v, raw points give %v", row[0], c, got, want)
		}
		rows++
	}
	if want := len(o.cases()) * len(o.Cs()); rows != want {
		t.Errorf("%d ρ rows, want %d", rows, want)
	}
}
