package figures

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func defaultText(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(plot.DefaultFont, size),
		Handler: plot.DefaultTextHandler,
	}
}

// Color returns the i-th colour of the palette shared by all figures, so
// that a measured series and its theory line can be paired by index.
func Color(i int) color.Color { return plotutil.Color(i) }

// newPlot returns a plot with the project's title and label sizes.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 11
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Label.TextStyle.Font.Size = 10
	p.Y.Label.TextStyle.Font.Size = 10
	p.X.Tick.Label.Font.Size = 9
	p.Y.Tick.Label.Font.Size = 9
	p.Legend.TextStyle.Font.Size = 9
	p.X.Tick.Marker = trimmedTicks{plot.DefaultTicks{}}
	p.Y.Tick.Marker = trimmedTicks{plot.DefaultTicks{}}
	return p
}

// trimmedTicks drops the trailing zeros gonum's default labels carry
// ("0.00", "25.00", "2.50" become "0", "25", "2.5").
type trimmedTicks struct{ plot.Ticker }

func (t trimmedTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := t.Ticker.Ticks(lo, hi)
	for i, tk := range ticks {
		l := tk.Label
		if strings.Contains(l, ".") && !strings.ContainsAny(l, "eE") {
			l = strings.TrimRight(strings.TrimRight(l, "0"), ".")
			if l == "-0" {
				l = "0"
			}
			ticks[i].Label = l
		}
	}
	return ticks
}

// Heatmap draws a matrix as an image, colouring log10 of its absolute
// entries over Decades decades below the largest, with block boundaries
// drawn as lines and a colour bar on the right. Row 0 is at the top, as
// when one prints the matrix.
type Heatmap struct {
	Title     string
	M         mat.Matrix
	Decades   float64 // colour range below the largest log10|entry|; 4 if zero
	Bounds    []int   // indices where a new block starts (thin lines)
	Major     []int   // indices where a new kind of block starts (thick lines)
	AxisLabel string  // label of both axes
	ColorText string  // colour bar label
}

// maxImageCells bounds the image side: larger matrices are shown as the
// mean |entry| over square tiles of s×s entries.
const maxImageCells = 1000

// cellImage paints log10|m_ij| with pal over [lo, hi], each entry a square
// of pixels, so that viewers that scale the image (PNG renderers, SVG in
// browsers) do not blur cells into each other. Entries below lo (and
// zeros) take the lightest colour, entries above hi the darkest. Matrices
// wider than maxImageCells are averaged over tiles first.
func cellImage(m mat.Matrix, pal palette.Palette, lo, hi float64) image.Image {
	rows, cols := m.Dims()
	s := max(1, (max(rows, cols)+maxImageCells-1)/maxImageCells)
	tr, tc := (rows+s-1)/s, (cols+s-1)/s
	k := max(1, (900+max(tr, tc)-1)/max(tr, tc))
	colors := pal.Colors()
	img := image.NewRGBA(image.Rect(0, 0, tc*k, tr*k))
	for i := 0; i < tr; i++ {
		for j := 0; j < tc; j++ {
			var sum float64
			var n int
			for a := i * s; a < min(rows, (i+1)*s); a++ {
				for b := j * s; b < min(cols, (j+1)*s); b++ {
					sum += math.Abs(m.At(a, b))
					n++
				}
			}
			v := logAbs(sum / float64(n))
			idx := 0
			switch {
			case v >= hi:
				idx = len(colors) - 1
			case v > lo:
				idx = int((v - lo) / (hi - lo) * float64(len(colors)-1))
			}
			c := colors[idx]
			for a := 0; a < k; a++ {
				for b := 0; b < k; b++ {
					img.Set(j*k+b, i*k+a, c)
				}
			}
		}
	}
	return img
}

// intTicks labels integers at a 1-2-5 step giving at most eight labels.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	return integerTicks(lo, hi)
}

// flippedTicks labels a y axis whose value y shows matrix row n−1−y.
type flippedTicks struct{ n int }

func (t flippedTicks) Ticks(lo, hi float64) []plot.Tick {
	top := float64(t.n - 1)
	ticks := integerTicks(top-hi, top-lo)
	for i := range ticks {
		ticks[i].Value = top - ticks[i].Value
	}
	return ticks
}

func integerTicks(lo, hi float64) []plot.Tick {
	if !(hi >= lo) {
		return nil
	}
	var step float64
	for k := 0; ; k++ {
		step = []float64{1, 2, 5}[k%3] * math.Pow(10, float64(k/3))
		if (hi-lo)/step <= 7 {
			break
		}
	}
	var out []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		if v == 0 {
			v = 0 // no "-0" labels
		}
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	// Unlabelled minor ticks halfway when the step is even.
	if step >= 2 {
		for v := math.Ceil(lo/step)*step - step/2; v <= hi; v += step {
			if v >= lo {
				out = append(out, plot.Tick{Value: v})
			}
		}
	}
	return out
}

// Draw implements Drawer.
func (h Heatmap) Draw(c draw.Canvas) {
	rows, cols := h.M.Dims()
	dec := h.Decades
	if dec <= 0 {
		dec = 4
	}
	top := math.Inf(-1)
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			top = math.Max(top, logAbs(h.M.At(i, j)))
		}
	}
	if math.IsInf(top, -1) || math.IsNaN(top) {
		top = 0 // an all-zero matrix: any range will do
	}
	cm := reversed(moreland.ExtendedBlackBody())
	cm.SetMin(top - dec)
	cm.SetMax(top)
	pal := cm.Palette(256)

	p := newPlot(h.Title, h.AxisLabel, h.AxisLabel)
	p.Add(plotter.NewImage(cellImage(h.M, pal, top-dec, top), -0.5, -0.5, float64(cols)-0.5, float64(rows)-0.5))
	line := func(xs, ys []float64, width vg.Length, col color.Color) {
		l, err := plotter.NewLine(plotter.XYs{{X: xs[0], Y: ys[0]}, {X: xs[1], Y: ys[1]}})
		if err != nil {
			return
		}
		l.Width = width
		l.Color = col
		p.Add(l)
	}
	grid := color.NRGBA{R: 0, G: 170, B: 140, A: 220} // teal: visible on both ends of the palette
	for _, set := range []struct {
		at []int
		w  vg.Length
	}{{h.Bounds, 0.6}, {h.Major, 1.8}} {
		for _, b := range set.at {
			x := float64(b) - 0.5
			y := float64(rows-b) - 0.5
			if b > 0 && b < cols {
				line([]float64{x, x}, []float64{-0.5, float64(rows) - 0.5}, set.w, grid)
			}
			if b > 0 && b < rows {
				line([]float64{-0.5, float64(cols) - 0.5}, []float64{y, y}, set.w, grid)
			}
		}
	}
	p.X.Min, p.X.Max = -0.5, float64(cols)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(rows)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker = intTicks{}
	p.Y.Tick.Marker = flippedTicks{rows}

	cb := newPlot("", "", h.ColorText)
	cb.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	cb.HideX()
	cb.X.Padding, cb.Y.Padding = 0, 0
	cb.Y.Tick.Marker = intTicks{}

	cbw := vg.Length(62)
	main := c
	main.Max.X -= cbw
	// Keep the heatmap's cells square: shrink the longer side of the
	// panel to the matrix's aspect ratio.
	squareUp(&main, float64(cols)/float64(rows))
	p.Draw(main)
	bar := c
	bar.Min.X = main.Max.X + 6
	bar.Max.X = bar.Min.X + cbw - 10
	bar.Min.Y = main.Min.Y + 40 // roughly the x axis' height, so the bar spans the image
	bar.Max.Y = main.Max.Y - 22 // and the title's
	cb.Draw(bar)
}

// squareUp shrinks c so that its data area is roughly aspect (w/h), leaving
// room for axes and title.
func squareUp(c *draw.Canvas, aspect float64) {
	const axesW, axesH = 50, 62 // y axis + labels; x axis + title
	w := float64(c.Max.X-c.Min.X) - axesW
	h := float64(c.Max.Y-c.Min.Y) - axesH
	if w <= 0 || h <= 0 {
		return
	}
	if w/h > aspect {
		c.Max.X = c.Min.X + vg.Length(h*aspect+axesW)
	} else {
		excess := h - w/aspect
		c.Max.Y -= vg.Length(excess)
	}
}

// reversed returns the colour map running from light (small) to dark
// (large), which reads as "more ink, more mass" on white paper.
func reversed(cm palette.ColorMap) palette.ColorMap { return palette.Reverse(cm) }

// Series is a set of measured points with optional error bars Lo ≤ Y ≤ Hi.
type Series struct {
	Label  string
	X, Y   []float64
	Lo, Hi []float64 // nil: no bars
	Color  int       // index into Color
}

// Curve is a theory line.
type Curve struct {
	Label  string
	X, Y   []float64
	Color  int
	Dashed bool
	Width  vg.Length // 0: 1.2 points
}

// LogLog is a plot with logarithmic axes.
type LogLog struct {
	Title, XLabel, YLabel string
	Series                []Series
	Curves                []Curve
	XTicks                []float64 // labelled x ticks; nil: decades
	LegendTop             bool      // legend at the top right instead of the bottom left
	// LegendRoom is the fraction of the plot's height kept free of data at
	// the legend's end (top or bottom), so that the legend covers no
	// points; 0 keeps the data range as it is.
	LegendRoom float64
}

// Plot builds the plot. Non-positive values cannot be shown on log axes
// and are an error.
func (l LogLog) Plot() (*plot.Plot, error) {
	p := newPlot(l.Title, l.XLabel, l.YLabel)
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = logTicks{}, logTicks{}
	if l.XTicks != nil {
		var tk plot.ConstantTicks
		for _, x := range l.XTicks {
			tk = append(tk, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', -1, 64)})
		}
		p.X.Tick.Marker = tk
	}
	p.Add(plotter.NewGrid())
	for _, c := range l.Curves {
		xy, err := positiveXYs(c.Label, c.X, c.Y)
		if err != nil {
			return nil, err
		}
		if err := addCurve(p, c, xy, 1.2, []vg.Length{vg.Points(5), vg.Points(3)}); err != nil {
			return nil, err
		}
	}
	for i, s := range l.Series {
		xy, err := positiveXYs(s.Label, s.X, s.Y)
		if err != nil {
			return nil, err
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, err
		}
		sc.Color = Color(s.Color)
		sc.Shape = plotutil.Shape(i)
		sc.Radius = vg.Points(2.6)
		if s.Lo != nil {
			eb := &errPoints{XYs: xy}
			for j := range xy {
				lo, hi := s.Lo[j], s.Hi[j]
				if lo <= 0 {
					return nil, fmt.Errorf("figures: %s: error bar down to %g at x = %g cannot be shown on a log axis", s.Label, lo, s.X[j])
				}
				eb.YErrors = append(eb.YErrors, struct{ Low, High float64 }{xy[j].Y - lo, hi - xy[j].Y})
			}
			bars, err := plotter.NewYErrorBars(eb)
			if err != nil {
				return nil, err
			}
			bars.Color = Color(s.Color)
			bars.CapWidth = vg.Points(4)
			p.Add(bars)
		}
		p.Add(sc)
		p.Legend.Add(s.Label, sc)
	}
	if f := l.LegendRoom; f > 0 && f < 1 && p.Y.Min > 0 && p.Y.Max > 0 {
		// Stretch the log axis so the data fill only 1 − f of it.
		lo, hi := math.Log(p.Y.Min), math.Log(p.Y.Max)
		span := max(hi-lo, math.Log(2))
		if l.LegendTop {
			p.Y.Max = math.Exp(lo + span/(1-f))
		} else {
			p.Y.Min = math.Exp(hi - span/(1-f))
		}
	}
	p.Legend.Top = l.LegendTop
	p.Legend.Left = !l.LegendTop
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), vg.Points(4)
	if l.LegendTop {
		p.Legend.XOffs, p.Legend.YOffs = vg.Points(-4), vg.Points(-4)
	}
	return p, nil
}

type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

func positiveXYs(label string, x, y []float64) (plotter.XYs, error) {
	if len(x) != len(y) {
		return nil, fmt.Errorf("figures: %s: %d x values, %d y values", label, len(x), len(y))
	}
	xy := make(plotter.XYs, len(x))
	for i := range x {
		if !(x[i] > 0 && y[i] > 0) || math.IsInf(x[i], 0) || math.IsInf(y[i], 0) {
			return nil, fmt.Errorf("figures: %s: point (%g, %g) cannot be shown on log axes", label, x[i], y[i])
		}
		xy[i] = plotter.XY{X: x[i], Y: y[i]}
	}
	return xy, nil
}

// logTicks labels a log axis: every decade when it spans three or more,
// otherwise 1, 2 and 5 times powers of ten, with minor ticks in between.
// An axis shorter than a decade gets round values as on a linear axis:
// 1-2-5 labels would leave it with one label or none.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	if hi/lo < 10 {
		return roundTicks(lo, hi)
	}
	labelled := map[int]bool{1: true}
	if math.Log10(hi/lo) < 2.5 {
		labelled[2], labelled[5] = true, true
	}
	return logTicksWith(lo, hi, labelled)
}

// roundTicks labels [lo, hi] at multiples of a step of 1, 2 or 5 times a
// power of ten, chosen for about three to six labels, with unlabelled ticks
// halfway between.
func roundTicks(lo, hi float64) []plot.Tick {
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	digits := max(0, -int(math.Floor(math.Log10(step))))
	var out []plot.Tick
	for k := math.Ceil(lo / step * 2); k/2*step <= hi*(1+1e-12); k++ {
		v := k / 2 * step
		t := plot.Tick{Value: v}
		if int(k)%2 == 0 {
			t.Label = strconv.FormatFloat(v, 'f', digits, 64)
		}
		out = append(out, t)
	}
	return out
}

func logTicksWith(lo, hi float64, labelled map[int]bool) []plot.Tick {
	e0 := int(math.Floor(math.Log10(lo)))
	e1 := int(math.Ceil(math.Log10(hi)))
	var out []plot.Tick
	for e := e0; e <= e1; e++ {
		for m := 1; m < 10; m++ {
			v := float64(m) * math.Pow(10, float64(e))
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if labelled[m] {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			out = append(out, t)
		}
	}
	return out
}

// Hist is one histogram of a histogram panel.
type Hist struct {
	Label  string
	Values []float64
	Color  int
}

// HistPanel shows normalised histograms (unit area) with density curves.
type HistPanel struct {
	Title, XLabel, YLabel string
	Hists                 []Hist
	Bins                  int
	Curves                []Curve
	LegendLeft            bool
	// Log10Axis says the x values are log10 of the quantity: ticks are
	// then placed and labelled at 1, 2, 5 × 10^k of the quantity itself.
	Log10Axis bool
	// XMax, if set, clips the x axis; values beyond it are left out of the
	// histogram, whose area is then the fraction of values kept.
	XMax float64
}

// Plot builds the plot.
func (h HistPanel) Plot() (*plot.Plot, error) {
	ylabel := h.YLabel
	if ylabel == "" {
		ylabel = "density"
	}
	p := newPlot(h.Title, h.XLabel, ylabel)
	bins := h.Bins
	if bins <= 0 {
		bins = 40
	}
	for _, hs := range h.Hists {
		if len(hs.Values) == 0 {
			return nil, fmt.Errorf("figures: histogram %q has no values", hs.Label)
		}
		for _, v := range hs.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("figures: histogram %q holds %v", hs.Label, v)
			}
		}
		vals := hs.Values
		if h.XMax != 0 {
			vals = nil
			for _, v := range hs.Values {
				if v <= h.XMax {
					vals = append(vals, v)
				}
			}
		}
		hg, err := plotter.NewHist(plotter.Values(vals), bins)
		if err != nil {
			return nil, err
		}
		hg.Normalize(float64(len(vals)) / float64(len(hs.Values)))
		r, g, b, _ := Color(hs.Color).RGBA()
		hg.FillColor = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 90}
		hg.LineStyle.Color = Color(hs.Color)
		hg.LineStyle.Width = 0.4
		p.Add(hg)
		if hs.Label != "" {
			p.Legend.Add(hs.Label, hg)
		}
	}
	for _, c := range h.Curves {
		xy := make(plotter.XYs, 0, len(c.X))
		for i := range c.X {
			if math.IsNaN(c.Y[i]) || math.IsInf(c.Y[i], 0) {
				continue
			}
			xy = append(xy, plotter.XY{X: c.X[i], Y: c.Y[i]})
		}
		if err := addCurve(p, c, xy, 1.4, []vg.Length{vg.Points(4), vg.Points(2)}); err != nil {
			return nil, err
		}
	}
	p.Y.Min = 0
	p.Y.Max *= 1.3 // headroom for the legend
	if h.XMax != 0 {
		p.X.Max = h.XMax
	}
	if h.Log10Axis {
		p.X.Tick.Marker = log10ValueTicks{}
	}
	p.Legend.Top = true
	p.Legend.Left = h.LegendLeft
	return p, nil
}

// log10ValueTicks marks an axis holding log10(v) at v = 1, 2, 5 × 10^k
// (labelled with v) and the other integers times 10^k (unlabelled).
type log10ValueTicks struct{}

func (log10ValueTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, t := range (logTicks{}).Ticks(math.Pow(10, lo), math.Pow(10, hi)) {
		out = append(out, plot.Tick{Value: math.Log10(t.Value), Label: t.Label})
	}
	return out
}

func logAbs(v float64) float64 {
	if v == 0 {
		return math.Inf(-1)
	}
	return math.Log10(math.Abs(v))
}

// addCurve draws c through xy on p with its colour, its width (or
// defaultWidth) and the given dashes when c is dashed, and adds its label
// to the legend.
func addCurve(p *plot.Plot, c Curve, xy plotter.XYs, defaultWidth vg.Length, dashes []vg.Length) error {
	ln, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	ln.Color = Color(c.Color)
	ln.Width = c.Width
	if ln.Width == 0 {
		ln.Width = defaultWidth
	}
	if c.Dashed {
		ln.Dashes = dashes
	}
	p.Add(ln)
	if c.Label != "" {
		p.Legend.Add(c.Label, ln)
	}
	return nil
}
