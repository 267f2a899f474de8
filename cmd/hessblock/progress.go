package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress is a one-line progress bar on stderr. It is hand-written rather
// than taken from a library because it needs only a few lines: a counter,
// an ETA and a redraw at most ten times a second. It draws nothing unless
// stderr is a terminal and -quiet is off, and it stays hidden for the first
// half second so that quick commands print nothing.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	on      bool
	label   string
	done    int
	total   int
	start   time.Time
	drawn   time.Time
	visible bool
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func newProgress(stderr io.Writer, quiet bool, total int) *progress {
	return &progress{w: stderr, on: !quiet && isTerminal(stderr), total: total, start: time.Now()}
}

// stage names what is being done now.
func (p *progress) stage(label string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.label = label
	p.draw(false)
}

// add records n more units of work done.
func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.draw(false)
}

// set records that done of total units are finished.
func (p *progress) set(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = done, total
	p.draw(false)
}

// finish clears the bar.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.visible {
		fmt.Fprint(p.w, "\r\033[K")
		p.visible = false
	}
}

func (p *progress) draw(force bool) {
	if !p.on {
		return
	}
	now := time.Now()
	if !force && (now.Sub(p.start) < 500*time.Millisecond || now.Sub(p.drawn) < 100*time.Millisecond) {
		return
	}
	p.drawn = now
	p.visible = true
	const width = 30
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(p.done)/float64(p.total), 1)
	}
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	elapsed := now.Sub(p.start)
	eta := ""
	if frac > 0.02 && frac < 1 {
		rem := time.Duration(float64(elapsed) * (1 - frac) / frac)
		eta = fmt.Sprintf(" ETA %s", rem.Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r\033[K[%s] %3.0f%% %s  %s%s", bar, 100*frac, p.label, elapsed.Round(100*time.Millisecond), eta)
}
