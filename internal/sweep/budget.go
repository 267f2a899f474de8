package sweep

import (
	"fmt"

	"github.com/hessblock/hessblock/internal/membudget"
	"github.com/hessblock/hessblock/numerics"
)

// PointBytes bounds the memory one point of a grid holds while a sweep or
// a reproduction runs, whatever its sizes: the Point or grid entry, its
// key, the maps of keys Run builds and the record it produces.
const PointBytes int64 = 1 << 10

// MeasureBytes estimates the peak memory of Measure(cfg): the problem
// (numerics.Config.ProblemBytes) and the larger of the structured work
// arrays and a representative block's spectrum.
func MeasureBytes(cfg numerics.Config) int64 {
	work := max(cfg.StructuredBytes(numerics.StructuredOptions{SkipBlockNorms: true}), cfg.BlockBytes())
	return membudget.Add(cfg.ProblemBytes(), work)
}

// GridBytes estimates the memory of a grid of `points` points whose
// largest point needs `largest` bytes (MeasureBytes), measured by
// `workers` workers at once.
func GridBytes(points float64, largest int64, workers int) int64 {
	return membudget.Add(membudget.Bytes(points*float64(PointBytes)), membudget.Mul(largest, int64(workers)))
}

// CheckMemory returns a *membudget.Error if measuring pts with `workers`
// workers (GridBytes) would exceed budget, naming the largest point and a
// worker count or size that would fit.
func CheckMemory(pts []Point, workers int, budget int64) error {
	return checkMemory(pts, workers, budget, MeasureBytes)
}

// checkMemory is CheckMemory for points that need bytesOf(cfg) each.
func checkMemory(pts []Point, workers int, budget int64, bytesOf func(numerics.Config) int64) error {
	var largest int64
	var big Point
	for _, p := range pts {
		if b := bytesOf(p.Config); b > largest {
			largest, big = b, p
		}
	}
	need := GridBytes(float64(len(pts)), largest, workers)
	if need <= budget {
		return nil
	}
	var hint string
	grid := GridBytes(float64(len(pts)), 0, 0)
	switch j := (budget - grid) / max(largest, 1); {
	case j >= 1:
		hint = fmt.Sprintf("-j %d would fit (the largest point, %s, needs %s)", j, big.Key, membudget.Format(largest))
	case grid >= budget:
		hint = fmt.Sprintf("the %d points alone need %s: use a smaller grid or shards (-shard)", len(pts), membudget.Format(grid))
	default:
		hint = fmt.Sprintf("the point %s alone needs %s: leave out its sizes", big.Key, membudget.Format(largest))
	}
	return membudget.Check(fmt.Sprintf("a sweep of %d point(s) with %d worker(s)", len(pts), workers), need, budget, hint)
}
