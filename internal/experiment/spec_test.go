package experiment

import (
	"strings"
	"testing"
)

func TestDefaultsValidate(t *testing.T) {
	for _, d := range DataSets {
		s, err := Defaults(d)
		if err != nil {
			t.Fatal(err)
		}
		// Defaults leave the model's sizes to the data; a run fills them.
		s.Model.C, s.Model.D, s.Model.N = s.C, s.D, s.N
		if err := s.Validate(); err != nil {
			t.Errorf("%s defaults: %v", d, err)
		}
	}
	if _, err := Defaults("cifar"); err == nil {
		t.Error("Defaults(cifar): no error")
	}
}

func TestValidateRejects(t *testing.T) {
	base, _ := Defaults(GoText)
	for name, tc := range map[string]struct {
		edit func(*Spec)
		want string
	}{
		"batch > N":        {func(s *Spec) { s.Batch = s.N + 1 }, "-batch"},
		"checkpoint > end": {func(s *Spec) { s.Checkpoints = []int{0, s.Steps + 1} }, "-checkpoints"},
		"negative steps":   {func(s *Spec) { s.Steps = -1 }, "-steps"},
		"no lanczos steps": {func(s *Spec) { s.Stats.LanczosSteps = 0 }, "-lanczos"},
		"mnist C":          {func(s *Spec) { s.Data = MNIST; s.C = 5 }, "MNIST has 10 classes"},
		"one class":        {func(s *Spec) { s.C = 1 }, "C ≥ 2"},
		"unknown data":     {func(s *Spec) { s.Data = "cifar" }, "unknown data set"},
		"bad optimizer":    {func(s *Spec) { s.Optimizer = "lbfgs" }, "lbfgs"},
	} {
		s := base
		s.Checkpoints = append([]int(nil), base.Checkpoints...)
		tc.edit(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", name, err, tc.want)
		}
	}
}

func TestLogCheckpoints(t *testing.T) {
	got := LogCheckpoints(300, 6)
	if got[0] != 0 || got[len(got)-1] != 300 {
		t.Errorf("LogCheckpoints(300, 6) = %v: want 0 first and 300 last", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("LogCheckpoints(300, 6) = %v: not increasing", got)
		}
	}
	if got := LogCheckpoints(0, 6); len(got) != 1 || got[0] != 0 {
		t.Errorf("LogCheckpoints(0, 6) = %v, want [0]", got)
	}
}

// A spec with Load: data from the file need Load, and the reproduce line
// names the file (quoted for the shell when it must be) instead of the
// sizes the file fixes.
func TestSpecLoad(t *testing.T) {
	s, _ := Defaults(Gaussian)
	s.Data = FromFile
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "-load") {
		t.Errorf("FromFile without Load: err = %v", err)
	}
	s.Load = "my models/head's.npz"
	s.Model.C, s.Model.D, s.Model.N = s.C, s.D, s.N
	if err := s.Validate(); err != nil {
		t.Errorf("FromFile with Load: %v", err)
	}
	line := s.CommandLine()
	for _, want := range []string{`-load 'my models/head'\''s.npz'`, "-activation relu -loss ce -opt"} {
		if !strings.Contains(line, want) {
			t.Errorf("%q lacks %q", line, want)
		}
	}
	for _, not := range []string{"-data", "-N ", "-C ", "-m "} {
		if strings.Contains(line, not) {
			t.Errorf("%q has %q, which the file fixes", line, not)
		}
	}
}
