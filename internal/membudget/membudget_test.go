package membudget

import (
	"errors"
	"io/fs"
	"math"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1", 1}, {"1073741824", 1 << 30}, {"512MiB", 512 << 20}, {"8GiB", 8 << 30}, {"8gib", 8 << 30},
		{"8 GiB", 8 << 30}, {"1.5GiB", 3 << 29}, {"64M", 64 << 20}, {"2GB", 2e9}, {"10kB", 10e3},
		{"3KiB", 3 << 10}, {"1TiB", 1 << 40}, {"100B", 100}, {" 4G ", 4 << 30},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "GiB", "-1", "0", "0.1", "8XB", "1e3", "abc", "1.2.3GiB", "9999999999EiB", "99999999999TiB"} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %d, want an error", in, got)
		}
	}
}

func TestFormat(t *testing.T) {
	for b, want := range map[int64]string{
		12: "12 B", 2048: "2.0 KiB", 64 << 20: "64.0 MiB", 3 << 30: "3.0 GiB", 2 << 40: "2.0 TiB", math.MaxInt64: "more than 8 EiB",
	} {
		if got := Format(b); got != want {
			t.Errorf("Format(%d) = %q, want %q", b, got, want)
		}
	}
}

// fakeFS serves the given file contents; other paths do not exist.
func fakeFS(files map[string]string) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		if s, ok := files[path]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
}

const meminfo16G = "MemTotal:       16777216 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n"

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name   string
		files  map[string]string
		want   int64
		source string
	}{
		{"meminfo only", map[string]string{procMeminfo: meminfo16G}, 16 << 30, "physical memory 16.0 GiB"},
		{"cgroup v2 limit", map[string]string{procMeminfo: meminfo16G, cgroupV2Max: "2147483648\n"}, 2 << 30, "cgroup v2 limit 2.0 GiB"},
		{"cgroup v2 unlimited", map[string]string{procMeminfo: meminfo16G, cgroupV2Max: "max\n"}, 16 << 30, "physical"},
		{"cgroup v1 limit", map[string]string{procMeminfo: meminfo16G, cgroupV1Max: "1073741824\n"}, 1 << 30, "cgroup v1 limit"},
		{"cgroup v1 unlimited", map[string]string{procMeminfo: meminfo16G, cgroupV1Max: "9223372036854771712\n"}, 16 << 30, "physical"},
		{"cgroup above the machine", map[string]string{procMeminfo: meminfo16G, cgroupV2Max: "68719476736"}, 16 << 30, "physical"},
		{"cgroup without meminfo", map[string]string{cgroupV2Max: "536870912"}, 512 << 20, "cgroup v2"},
		{"garbage everywhere", map[string]string{procMeminfo: "MemTotal: lots", cgroupV2Max: "many"}, Fallback, "assumed"},
		{"nothing", nil, Fallback, "assumed 4.0 GiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, src := detect(fakeFS(tc.files), func() (int64, bool) { return 0, false })
			if got != tc.want || !strings.Contains(src, tc.source) {
				t.Errorf("detect = %d (%s), want %d (%s…)", got, src, tc.want, tc.source)
			}
		})
	}
}

func TestDetectAddressSpaceLimit(t *testing.T) {
	files := fakeFS(map[string]string{procMeminfo: meminfo16G, cgroupV2Max: "4294967296"})
	if got, src := detect(files, func() (int64, bool) { return 2000000 << 10, true }); got != 2000000<<10 || !strings.Contains(src, "ulimit -v") {
		t.Errorf("with ulimit -v 2000000: %d (%s)", got, src)
	}
	if got, src := detect(files, func() (int64, bool) { return 64 << 30, true }); got != 4<<30 || !strings.Contains(src, "cgroup v2") {
		t.Errorf("with an address-space limit above the cgroup's: %d (%s)", got, src)
	}
}

func TestLimitAndCheck(t *testing.T) {
	if Default() <= 0 || Limit() != Default() {
		t.Fatalf("Default = %d, Limit = %d", Default(), Limit())
	}
	restore := SetLimit(64 << 20)
	if Limit() != 64<<20 {
		t.Errorf("Limit after SetLimit(64 MiB) = %d", Limit())
	}
	restore()
	if Limit() != Default() {
		t.Errorf("Limit after restore = %d, want the default %d", Limit(), Default())
	}
	if err := Check("x", 10, 10, ""); err != nil {
		t.Errorf("Check at the budget: %v", err)
	}
	err := Check("the data X (N×d)", 3<<30, 1<<30, "use N ≤ 100")
	var e *Error
	if !errors.As(err, &e) || !IsOver(err) {
		t.Fatalf("Check over the budget: %v, want an *Error", err)
	}
	for _, want := range []string{"the data X (N×d) needs about 3.0 GiB", "budget of 1.0 GiB", "use N ≤ 100", "-max-memory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if err := Check("x", -1, math.MaxInt64-1, ""); err == nil {
		t.Error("an overflowed (negative) estimate passed")
	}
	if Floats(math.MaxFloat64) != math.MaxInt64 || Add(math.MaxInt64, 1) != math.MaxInt64 || Mul(1<<40, 1<<40) != math.MaxInt64 {
		t.Error("saturating arithmetic wrapped around")
	}
}

func TestLargestFitting(t *testing.T) {
	for _, tc := range []struct{ hi, limit, want int }{
		{100, 37, 37}, {100, 100, 100}, {100, 1000, 100}, {100, 1, 1}, {100, 0, 0}, {1, 1, 1}, {0, 5, 0}, {1 << 40, 123456789, 123456789},
	} {
		if got := LargestFitting(tc.hi, func(n int) bool { return n <= tc.limit }); got != tc.want {
			t.Errorf("LargestFitting(%d, n ≤ %d) = %d, want %d", tc.hi, tc.limit, got, tc.want)
		}
	}
}
