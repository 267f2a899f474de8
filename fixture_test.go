package hessblock_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"
	"gonum.org/v1/gonum/mat"

	"github.com/hessblock/hessblock/kind"
)

// The fixtures of testdata/models (README there has the commands that made
// them) tie the deep reference of autodiff_deep_test.go to PyTorch: each
// holds a network and batch exported by examples/export/torch_to_npz.py
// (.npz and .safetensors), the Hessian torch.autograd computed for it
// (.hessian.npy) and the statistics bench/peer/torch_deep_check.py derived
// from that Hessian in numpy (.stats.json).
var deepFixtures = []string{"mlp3_tanh_ce", "mlp2_gelu_mse"}

// fixtureArray is one named array of a fixture: its shape and its values
// (labels are converted to float64, exactly, being small integers).
type fixtureArray struct {
	shape []int
	data  []float64
}

// readNPZ reads every array of an np.savez file (float64 or int64).
func readNPZ(path string) (map[string]fixtureArray, error) {
	f, err := npz.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]fixtureArray{}
	for _, key := range f.Keys() {
		h := f.Header(key)
		a := fixtureArray{shape: h.Descr.Shape}
		switch strings.Trim(h.Descr.Type, "'") { // npyio keeps the header's quotes
		case "<f8":
			err = f.Read(key, &a.data)
		case "<i8":
			var ints []int64
			err = f.Read(key, &ints)
			for _, v := range ints {
				a.data = append(a.data, float64(v))
			}
		default:
			err = fmt.Errorf("dtype %s", h.Descr.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, key, err)
		}
		out[trimExt(key, ".npy")] = a
	}
	return out, nil
}

func trimExt(s, ext string) string {
	if len(s) > len(ext) && s[len(s)-len(ext):] == ext {
		return s[:len(s)-len(ext)]
	}
	return s
}

// readSafetensors parses the safetensors format by hand (an 8-byte
// little-endian header length, a JSON header, raw little-endian data) and
// returns the F64 and I64 tensors and the __metadata__ strings.
func readSafetensors(path string) (map[string]fixtureArray, map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if len(raw) < 8 {
		return nil, nil, fmt.Errorf("%s: %d bytes, too short", path, len(raw))
	}
	n := binary.LittleEndian.Uint64(raw)
	if n > uint64(len(raw)-8) {
		return nil, nil, fmt.Errorf("%s: header length %d beyond the file", path, n)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		return nil, nil, fmt.Errorf("%s: header: %w", path, err)
	}
	data := raw[8+n:]
	meta := map[string]string{}
	out := map[string]fixtureArray{}
	for name, msg := range header {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, nil, fmt.Errorf("%s: metadata: %w", path, err)
			}
			continue
		}
		var t struct {
			Dtype   string `json:"dtype"`
			Shape   []int  `json:"shape"`
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &t); err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", path, name, err)
		}
		lo, hi := t.Offsets[0], t.Offsets[1]
		count := 1
		for _, s := range t.Shape {
			count *= s
		}
		if lo < 0 || hi > len(data) || hi-lo != 8*count {
			return nil, nil, fmt.Errorf("%s: %s: offsets [%d, %d) do not hold %d 8-byte values", path, name, lo, hi, count)
		}
		a := fixtureArray{shape: t.Shape}
		for i := lo; i < hi; i += 8 {
			bits := binary.LittleEndian.Uint64(data[i:])
			switch t.Dtype {
			case "F64":
				a.data = append(a.data, math.Float64frombits(bits))
			case "I64":
				a.data = append(a.data, float64(int64(bits)))
			default:
				return nil, nil, fmt.Errorf("%s: %s: dtype %s", path, name, t.Dtype)
			}
		}
		out[name] = a
	}
	return out, meta, nil
}

// fixtureNet builds the deep reference of a fixture's arrays.
func fixtureNet(arrays map[string]fixtureArray, act kind.Activation, loss kind.Loss) (*deepNet, error) {
	var ws []mat.Matrix
	var bs [][]float64
	for l := 1; ; l++ {
		w, ok := arrays[fmt.Sprintf("W%d", l)]
		if !ok {
			break
		}
		if len(w.shape) != 2 {
			return nil, fmt.Errorf("W%d has shape %v", l, w.shape)
		}
		ws = append(ws, mat.NewDense(w.shape[0], w.shape[1], w.data))
		bs = append(bs, arrays[fmt.Sprintf("b%d", l)].data) // nil when absent
	}
	x, y := arrays["X"], arrays["y"]
	if len(ws) == 0 || len(x.shape) != 2 || len(y.data) != x.shape[0] {
		return nil, fmt.Errorf("want W1.., X (N×d) and y (N), got %d layers, X %v, y %v", len(ws), x.shape, y.shape)
	}
	labels := make([]int, len(y.data))
	for i, v := range y.data {
		labels[i] = int(v)
	}
	return newDeepNet(ws, bs, mat.NewDense(x.shape[0], x.shape[1], x.data), labels, act, loss)
}

// TestFixturesMatchTorch: the Go autodiff Hessian of each committed fixture
// equals the committed torch.autograd Hessian to 1e−10 relative (max |Δ| /
// max |H|; both are float64 round-off exact, measured ≤ 4e−16), the loss
// and the block statistics equal those torch_deep_check.py wrote (R, ρ,
// ‖H‖_F to 1e−10 relative, λmax through a different eigensolver to
// 1e−10), and the .safetensors holds exactly the .npz's arrays.
func TestFixturesMatchTorch(t *testing.T) {
	for _, name := range deepFixtures {
		t.Run(name, func(t *testing.T) {
			base := filepath.Join("testdata", "models", name)
			arrays, err := readNPZ(base + ".npz")
			if err != nil {
				t.Fatal(err)
			}
			st, meta, err := readSafetensors(base + ".safetensors")
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != len(arrays) {
				t.Errorf("safetensors has %d tensors, npz %d", len(st), len(arrays))
			}
			for k, a := range arrays {
				if s, ok := st[k]; !ok || !slices.Equal(s.shape, a.shape) || !slices.Equal(s.data, a.data) {
					t.Errorf("safetensors tensor %s differs from the npz's", k)
				}
			}
			var stats struct {
				R         map[string]float64 `json:"R"`
				Rho       float64            `json:"rho"`
				Frobenius float64            `json:"frobenius"`
				LambdaMax float64            `json:"lambda_max"`
				Loss      float64            `json:"loss_value"`
				Act       string             `json:"activation"`
				LossName  string             `json:"loss"`
			}
			raw, err := os.ReadFile(base + ".stats.json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &stats); err != nil {
				t.Fatal(err)
			}
			if meta["activation"] != stats.Act || meta["loss"] != stats.LossName {
				t.Fatalf("safetensors metadata %v, stats %s/%s", meta, stats.Act, stats.LossName)
			}
			net, err := fixtureNet(arrays, kind.Activation(meta["activation"]), kind.Loss(meta["loss"]))
			if err != nil {
				t.Fatal(err)
			}
			ref, err := autodiffDeep(net)
			if err != nil {
				t.Fatal(err)
			}

			torchH := readFixtureHessian(t, base+".hessian.npy")
			if r, c := torchH.Dims(); r != net.numParams() || c != net.numParams() {
				t.Fatalf("torch Hessian is %d×%d, the network has P = %d", r, c, net.numParams())
			}
			e := deepRelErr(ref.hess, torchH)
			t.Logf("P = %d: max |H_Go − H_torch| / max |H_torch| = %.1e", net.numParams(), e)
			if e > 1e-10 {
				t.Errorf("Go autodiff vs torch Hessian: relative error %.1e > 1e−10", e)
			}
			if d := math.Abs(ref.loss-stats.Loss) / stats.Loss; d > 1e-12 {
				t.Errorf("loss %v, torch %v", ref.loss, stats.Loss)
			}

			ds, err := deepBlockStats(ref.hess, net)
			if err != nil {
				t.Fatal(err)
			}
			near := func(what string, got, want float64) {
				if math.Abs(got-want) > 1e-10*math.Abs(want) && math.Abs(got-want) > 1e-14 {
					t.Errorf("%s = %v, torch_deep_check %v", what, got, want)
				}
			}
			near("ρ", ds.Rho, stats.Rho)
			near("‖H‖_F", ds.Frobenius, stats.Frobenius)
			near("λmax", ds.LambdaMax, stats.LambdaMax)
			if len(ds.R) != len(stats.R) {
				t.Errorf("families %v, torch_deep_check %v", ds.R, stats.R)
			}
			for fam, want := range stats.R {
				near("R["+fam+"]", ds.R[fam], want)
			}
		})
	}
}
