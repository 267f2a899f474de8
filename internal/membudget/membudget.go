// Package membudget is hessblock's one memory budget: how many bytes the
// allocations that grow with the user's sizes (data, weights, forward-pass
// arrays, Hessians, structured work arrays, grids, workers) may take
// together, how the default is found, and the error an estimate over it
// gives.
//
// The default is DefaultFraction (3/4) of the memory available to the
// process: the cgroup limit (v2 memory.max, v1 memory.limit_in_bytes) when
// one is set, else the physical memory (MemTotal of /proc/meminfo), else,
// where neither can be read (systems other than Linux), Fallback (4 GiB);
// an address-space limit (ulimit -v, Unix) below that figure replaces it.
// The command's -max-memory flag replaces it for one run (SetLimit).
//
// Callers estimate an allocation before making it (Bytes, Floats) and pass
// the estimate to Check, which returns an *Error naming the estimate, the
// budget and what would fit.
package membudget

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultFraction is the share of the available memory the default budget
// allows: the rest is left to the Go runtime's own overhead (garbage
// collection may hold up to twice the live heap between cycles), the
// operating system and other processes.
const DefaultFraction = 0.75

// Fallback is the available memory assumed when neither a cgroup limit nor
// /proc/meminfo can be read.
const Fallback int64 = 4 << 30

// Error is an estimate over the budget.
type Error struct {
	What   string // what would be allocated ("the data X (N×d) …")
	Need   int64  // the estimate, bytes
	Budget int64  // the budget, bytes
	Hint   string // a smaller size that would fit, or "" (the message always names -max-memory)
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s needs about %s, over the memory budget of %s", e.What, Format(e.Need), Format(e.Budget))
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s + " (raise the budget with -max-memory; default " + defaultDoc() + ")"
}

// Check returns an *Error if need exceeds budget (a negative need is an
// overflowed estimate, hence over any budget).
func Check(what string, need, budget int64, hint string) error {
	if need < 0 || need > budget {
		if need < 0 {
			need = math.MaxInt64
		}
		return &Error{What: what, Need: need, Budget: budget, Hint: hint}
	}
	return nil
}

// IsOver reports whether err is or wraps an *Error.
func IsOver(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Floats returns 8·Σ counts (float64 or int elements), saturating at
// math.MaxInt64 instead of overflowing. Counts are float64 so that products
// of sizes can be formed without overflow.
func Floats(counts ...float64) int64 {
	var s float64
	for _, c := range counts {
		s += c
	}
	return Bytes(8 * s)
}

// Bytes converts a byte count held as float64 to int64, saturating.
func Bytes(b float64) int64 {
	if b >= math.MaxInt64 || math.IsNaN(b) {
		return math.MaxInt64
	}
	if b < 0 {
		return 0
	}
	return int64(b)
}

// Add returns a + b, saturating at math.MaxInt64.
func Add(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Mul returns a·b for non-negative a, b, saturating at math.MaxInt64.
func Mul(a, b int64) int64 {
	if a != 0 && b > math.MaxInt64/a {
		return math.MaxInt64
	}
	return a * b
}

// limit is the budget set by SetLimit; 0 means the default.
var limit atomic.Int64

// Limit returns the budget in force: the one SetLimit set, else Default().
func Limit() int64 {
	if b := limit.Load(); b > 0 {
		return b
	}
	return Default()
}

// SetLimit sets the budget for the process (b ≤ 0 restores the default)
// and returns a function that restores the previous one.
func SetLimit(b int64) (restore func()) {
	old := limit.Swap(max(b, 0))
	return func() { limit.Store(old) }
}

var (
	detectOnce      sync.Once
	available       int64
	availableSource string
)

// Available returns the memory available to the process and where that
// figure comes from (detected once).
func Available() (bytes int64, source string) {
	detectOnce.Do(func() {
		available, availableSource = detect(os.ReadFile, addressSpaceLimit)
	})
	return available, availableSource
}

// Default is DefaultFraction of Available.
func Default() int64 {
	a, _ := Available()
	return Bytes(DefaultFraction * float64(a))
}

func defaultDoc() string {
	_, src := Available()
	return fmt.Sprintf("%s = %g of %s", Format(Default()), DefaultFraction, src)
}

// DefaultDoc describes the default budget for a flag's help text.
func DefaultDoc() string { return defaultDoc() }

// The files detect reads.
const (
	cgroupV2Max = "/sys/fs/cgroup/memory.max"
	cgroupV1Max = "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	procMeminfo = "/proc/meminfo"
)

// detect finds the available memory with read and rlimit
// (addressSpaceLimit, or a fake in tests). detectMemory finds it with read (os.ReadFile, or fake
// contents in tests): the smaller of a cgroup limit and the physical
// memory, the physical memory when no cgroup limit is set ("max", or v1's
// huge unlimited value), Fallback when nothing can be read.
func detect(read func(string) ([]byte, error), rlimit func() (int64, bool)) (int64, string) {
	avail, src := detectMemory(read)
	if v, ok := rlimit(); ok && v < avail {
		return v, "the address-space limit (ulimit -v) " + Format(v)
	}
	return avail, src
}

func detectMemory(read func(string) ([]byte, error)) (int64, string) {
	phys, physOK := int64(0), false
	if b, err := read(procMeminfo); err == nil {
		phys, physOK = parseMeminfo(string(b))
	}
	for _, f := range []struct{ path, name string }{{cgroupV2Max, "the cgroup v2 limit"}, {cgroupV1Max, "the cgroup v1 limit"}} {
		b, err := read(f.path)
		if err != nil {
			continue
		}
		v, ok := parseCgroupLimit(string(b))
		if !ok {
			continue
		}
		if physOK && v >= phys {
			break // a limit above the machine's memory does not bind
		}
		return v, f.name + " " + Format(v)
	}
	if physOK {
		return phys, "physical memory " + Format(phys)
	}
	return Fallback, "an assumed " + Format(Fallback) + " (no cgroup limit or /proc/meminfo)"
}

// parseCgroupLimit reads memory.max or memory.limit_in_bytes: a byte
// count, or "max" (no limit). Cgroup v1 reports no limit as a huge
// multiple of the page size, which is treated as no limit too.
func parseCgroupLimit(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "max" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || v >= 1<<62 {
		return 0, false
	}
	return v, true
}

// parseMeminfo returns MemTotal of /proc/meminfo in bytes.
func parseMeminfo(s string) (int64, bool) {
	for _, line := range strings.Split(s, "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return 0, false
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || v <= 0 {
			return 0, false
		}
		unit := int64(1)
		if len(f) > 1 && strings.EqualFold(f[1], "kB") {
			unit = 1024
		}
		return Mul(v, unit), true
	}
	return 0, false
}

// Parse reads a size: plain bytes ("1073741824"), or a number with a
// binary (KiB, MiB, GiB, TiB) or decimal (kB, KB, MB, GB, TB) unit, or B;
// the unit is case-insensitive, a space before it allowed, and a fraction
// allowed with a unit ("1.5GiB"). The size must be positive.
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30, "t": 1 << 40, "tib": 1 << 40,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	}[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("%q is not a size (want bytes, or a number with a unit such as 512MiB, 8GiB, 2GB)", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: %v", s, err)
	}
	b := v * mult
	if b >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large (at most 8 EiB)", s)
	}
	if b < 1 {
		return 0, fmt.Errorf("%q: want a positive size", s)
	}
	return int64(b), nil
}

// Format prints a byte count with a binary unit.
func Format(b int64) string {
	switch {
	case b == math.MaxInt64:
		return "more than 8 EiB"
	case b >= 1<<40:
		return fmt.Sprintf("%.1f TiB", float64(b)/(1<<40))
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// LargestFitting returns the largest n in [1, hi] with fits(n), by
// bisection (fits must be monotone: true up to some n, false after), or 0
// when not even fits(1): the size a message suggests.
func LargestFitting(hi int, fits func(n int) bool) int {
	if hi < 1 || !fits(1) {
		return 0
	}
	lo := 1 // fits(lo); fits(hi+1) is assumed false
	for hi > lo {
		mid := lo + (hi-lo+1)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
