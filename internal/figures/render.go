package figures

import (
	"bytes"
	"fmt"
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Drawer is anything that draws itself on a canvas: a *plot.Plot, a
// heatmap with its colour bar, a grid of panels.
type Drawer interface {
	Draw(c draw.Canvas)
}

// DPI is the resolution of the PNG renderings.
const DPI = 110

// Render draws d on a w×h canvas and returns PNG and SVG encodings. gonum
// plot panics on some invalid input (for example a non-positive value on a
// log axis); Render turns such a panic into an error.
func Render(d Drawer, w, h vg.Length) (pngData, svgData []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			pngData, svgData, err = nil, nil, fmt.Errorf("figures: drawing failed: %v", r)
		}
	}()
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))
	d.Draw(draw.New(img))
	var pb bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&pb); err != nil {
		return nil, nil, err
	}
	sv := vgsvg.New(w, h)
	dc := draw.New(sv)
	fillWhite(dc)
	d.Draw(dc)
	var sb bytes.Buffer
	if _, err := sv.WriteTo(&sb); err != nil {
		return nil, nil, err
	}
	return pb.Bytes(), sb.Bytes(), nil
}

func fillWhite(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
}

// Grid lays panels out row by row, cols per row; nil entries stay blank.
type Grid struct {
	Cols   int
	Panels []Drawer
}

// Draw implements Drawer.
func (g Grid) Draw(c draw.Canvas) {
	cols := max(g.Cols, 1)
	rows := (len(g.Panels) + cols - 1) / cols
	if rows == 0 {
		return
	}
	w := (c.Max.X - c.Min.X) / vg.Length(cols)
	h := (c.Max.Y - c.Min.Y) / vg.Length(rows)
	for i, p := range g.Panels {
		if p == nil {
			continue
		}
		r, col := i/cols, i%cols
		sub := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: c.Min.X + vg.Length(col)*w, Y: c.Max.Y - vg.Length(r+1)*h},
			Max: vg.Point{X: c.Min.X + vg.Length(col+1)*w, Y: c.Max.Y - vg.Length(r)*h},
		}}
		p.Draw(sub)
	}
}

// Titled draws a figure title above a Drawer.
type Titled struct {
	Title string
	Body  Drawer
}

// Draw implements Drawer.
func (t Titled) Draw(c draw.Canvas) {
	sty := defaultText(13)
	h := sty.Height(t.Title) * 1.8
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YTop
	c.FillText(sty, vg.Point{X: (c.Min.X + c.Max.X) / 2, Y: c.Max.Y - h*0.2}, t.Title)
	body := c
	body.Max.Y -= h
	t.Body.Draw(body)
}
